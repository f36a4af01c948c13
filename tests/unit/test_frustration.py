"""bot/frustration.py: scoring a message, the trend over a conversation, when to hand off."""

from __future__ import annotations

from typing import Any

import pytest

from bot.frustration import (
    PUNCTUATION_BOOST,
    REPETITION_BOOST,
    SHOUTING_BOOST,
    VENT_BOOST,
    FrustrationMeter,
    FrustrationTrend,
    measure_trend,
    still_rising_after_attempts,
)
from tests.unit.builders import user_event

CALM = "my parcel is late"
VENTING = "this is ridiculous, I'm done with you people"
SHOUTING = "WHERE IS MY ORDER?? third time asking!!!"
PLEASED = "thanks, that works"


@pytest.fixture(scope="module")
def meter() -> FrustrationMeter:
    return FrustrationMeter()


def bot_event(phrase: str, text: str | None = None) -> dict[str, Any]:
    return {"event": "bot", "text": text or f"({phrase})", "metadata": {"phrase": phrase}}


class ScriptedMeter(FrustrationMeter):
    """Scores known texts as scripted; any other text is a test failure (KeyError)."""

    def __init__(self, scores: dict[str, float]) -> None:
        super().__init__()
        self.scores = scores

    def turn_score(self, text: str, intent: str | None) -> float:
        return self.scores[text]


def scripted(*turns: tuple[str, float] | str) -> tuple[list[dict[str, Any]], ScriptedMeter]:
    """Events from ``("user text", score)`` pairs and bot phrase keys, and a meter
    that scores each user text as given."""
    events: list[dict[str, Any]] = []
    scores: dict[str, float] = {}
    for turn in turns:
        if isinstance(turn, str):
            events.append(bot_event(turn))
        else:
            text, score = turn
            events.append(user_event("inform", text))
            scores[text] = score
    return events, ScriptedMeter(scores)


# --- turn_score ------------------------------------------------------------------------


def test_the_analyser_is_created_on_first_use_not_before():
    meter = FrustrationMeter()
    assert meter._analyzer is None

    meter.turn_score(CALM, None)

    assert meter._analyzer is not None


def test_calibration_examples_are_ordered(meter):
    pleased = meter.turn_score(PLEASED, "thank")
    calm = meter.turn_score(CALM, "complain_late_delivery")
    shouting = meter.turn_score(SHOUTING, "complain_late_delivery")
    venting = meter.turn_score(VENTING, "vent")

    assert pleased == pytest.approx(0.0, abs=0.05)
    assert calm < 0.2
    assert 0.35 <= shouting < venting
    assert venting >= 0.65
    assert pleased <= calm < shouting < venting


def test_the_vent_intent_adds_its_boost(meter):
    as_vent = meter.turn_score(VENTING, "vent")
    as_other = meter.turn_score(VENTING, "inform")

    assert as_vent - as_other == pytest.approx(VENT_BOOST)


def test_shouting_repeated_marks_and_repetition_each_add_their_boost(meter):
    base = meter.turn_score("where is my order", None)

    assert base == 0.0
    assert meter.turn_score("WHERE IS MY ORDER", None) == pytest.approx(SHOUTING_BOOST)
    assert meter.turn_score("where is my order??", None) == pytest.approx(PUNCTUATION_BOOST)
    assert meter.turn_score("where is my order, again", None) == pytest.approx(REPETITION_BOOST)


@pytest.mark.parametrize("text", ["I ordered a TV from LG", "OK", "my PIN is not working"])
def test_a_few_capitalised_words_are_not_shouting(meter, text):
    assert meter.turn_score(text, None) < SHOUTING_BOOST


def test_the_score_is_clamped_to_one(meter):
    score = meter.turn_score("this is USELESS, absolutely USELESS, the WORST!!! AGAIN!!", "vent")

    assert score == 1.0


@pytest.mark.parametrize("text", ["", "thank you so much, that's wonderful", "yes"])
def test_calm_or_positive_text_scores_zero(meter, text):
    assert meter.turn_score(text, None) == 0.0


# --- FrustrationTrend -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "direction"),
    [
        ((0.1, 0.3, 0.5, 0.7), "rising"),
        ((0.8, 0.6, 0.4, 0.2), "falling"),
        ((0.4, 0.42, 0.38, 0.41), "steady"),
        ((0.2, 0.5), "rising"),
        ((0.3,), "steady"),
        ((), "steady"),
        # Only the last four scores count: the early spike is forgotten.
        ((0.9, 0.1, 0.1, 0.1, 0.1), "steady"),
        ((0.0, 0.0, 0.9, 0.1, 0.2, 0.3), "falling"),
    ],
)
def test_trend_direction(scores, direction):
    assert FrustrationTrend(scores).direction == direction


def test_trend_latest_peak_and_json():
    trend = FrustrationTrend((0.123, 0.789, 0.456))

    assert trend.latest == 0.456
    assert trend.peak == 0.789
    assert trend.to_json() == {
        "scores": [0.12, 0.79, 0.46],
        "direction": "rising",
        "latest": 0.46,
        "peak": 0.79,
    }


def test_an_empty_trend_reads_as_calm():
    assert FrustrationTrend().to_json() == {
        "scores": [],
        "direction": "steady",
        "latest": 0.0,
        "peak": 0.0,
    }


# --- measure_trend ---------------------------------------------------------------------


def test_measure_trend_scores_user_messages_in_order_with_their_intent(meter):
    events = [
        {"event": "action", "name": "action_listen"},
        user_event("complain_late_delivery", CALM),
        bot_event("restate_complaint"),
        {"event": "slot", "name": "dialogue_stage", "value": "complaint_restated"},
        user_event("vent", VENTING),
    ]

    trend = measure_trend(events, meter)

    assert trend.scores == (meter.turn_score(CALM, None), meter.turn_score(VENTING, "vent"))
    assert trend.direction == "rising"


def test_measure_trend_skips_button_payloads_and_empty_texts():
    events, scripted_meter = scripted(("first", 0.1), ("second", 0.2))
    events.insert(1, user_event("affirm", "/affirm"))
    events.append(user_event("inform", "   "))
    events.append({"event": "user", "text": None, "parse_data": {}})

    assert measure_trend(events, scripted_meter).scores == (0.1, 0.2)


# --- still_rising_after_attempts -------------------------------------------------------


def test_rising_after_two_attempts_with_real_messages(meter):
    events = [
        user_event("complain_late_delivery", CALM),
        bot_event("acknowledge_complaint"),
        bot_event("restate_complaint"),
        user_event("deny", "that's not what I said. this is annoying"),
        bot_event("ask_to_rephrase"),
        user_event("complain_late_delivery", SHOUTING),
        bot_event("ask_to_rephrase"),
        user_event("vent", VENTING),
    ]

    assert still_rising_after_attempts(events, meter)


def test_rising_scores_after_two_attempts_hand_off():
    events, scripted_meter = scripted(
        ("late", 0.1), "restate_complaint", ("no", 0.3), "ask_to_rephrase", ("angry", 0.6)
    )

    assert still_rising_after_attempts(events, scripted_meter)


def test_one_attempt_is_not_enough():
    events, scripted_meter = scripted(("late", 0.1), "restate_complaint", ("a", 0.3), ("b", 0.7))

    assert not still_rising_after_attempts(events, scripted_meter)
    assert still_rising_after_attempts(events, scripted_meter, attempts_needed=1)


def test_limits_and_proposal_in_one_turn_are_one_attempt():
    events, scripted_meter = scripted(
        ("late", 0.1), "state_limits", "propose_fix", ("a", 0.4), ("b", 0.8)
    )

    assert not still_rising_after_attempts(events, scripted_meter)


def test_bot_messages_that_are_not_attempts_do_not_count():
    events, scripted_meter = scripted(
        ("late", 0.1), "acknowledge_complaint", ("a", 0.4), "continue_with_bot", ("b", 0.8)
    )

    assert not still_rising_after_attempts(events, scripted_meter, attempts_needed=1)


def test_falling_frustration_does_not_hand_off():
    events, scripted_meter = scripted(
        ("late", 0.2), "restate_complaint", ("a", 0.9), "ask_to_rephrase", ("b", 0.7),
        "propose_fix", ("c", 0.6),
    )  # fmt: skip

    assert not still_rising_after_attempts(events, scripted_meter)


def test_rising_below_the_threshold_does_not_hand_off():
    events, scripted_meter = scripted(
        ("late", 0.0), "restate_complaint", ("a", 0.1), "ask_to_rephrase", ("b", 0.2),
        "propose_fix", ("c", 0.45),
    )  # fmt: skip

    assert not still_rising_after_attempts(events, scripted_meter)
    assert still_rising_after_attempts(events, scripted_meter, threshold=0.4)


def test_two_climbs_in_a_row_count_even_when_the_fit_is_not_rising():
    # 0.9 → 0.2 → 0.3 → 0.55 fits a falling line, but the last two each went up.
    events, scripted_meter = scripted(
        ("late", 0.0), "restate_complaint", ("a", 0.9), "ask_to_rephrase", ("b", 0.2),
        "propose_fix", ("c", 0.3), "clarify_fair_ask", ("d", 0.55),
    )  # fmt: skip

    assert FrustrationTrend((0.9, 0.2, 0.3, 0.55)).direction == "falling"
    assert still_rising_after_attempts(events, scripted_meter)


def test_only_messages_after_the_first_attempt_count():
    # With the 0.9 before the first attempt the fit would be falling.
    events, scripted_meter = scripted(
        ("furious opener", 0.9), "acknowledge_vent", ("a", 0.5), "restate_complaint", ("b", 0.7)
    )

    assert still_rising_after_attempts(events, scripted_meter)


def test_button_payloads_are_skipped():
    # The scripted meter fails on any unscripted text: "/request_human" is never scored.
    events, scripted_meter = scripted(
        ("late", 0.1), "restate_complaint", ("a", 0.3), "ask_to_rephrase", ("b", 0.6)
    )
    events.append(user_event("request_human", "/request_human"))

    assert still_rising_after_attempts(events, scripted_meter)


def test_no_messages_after_the_attempts_do_not_hand_off():
    events, scripted_meter = scripted(("late", 0.9), "restate_complaint", "ask_to_rephrase")

    assert not still_rising_after_attempts(events, scripted_meter, attempts_needed=1)
