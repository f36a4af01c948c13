"""The conversation test set (tests/conversations/): its loader, its size and spread,
and the scorer, on hand-built observations (no stack)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.phrasing import PHRASEBOOK_PATH
from tests.conversations.client import _phrase
from tests.conversations.model import (
    Conversation,
    ConversationSetError,
    Expectation,
    Outcome,
    load_conversation_set,
)
from tests.conversations.observation import (
    BotMessage,
    Button,
    ConversationObservation,
    TurnObservation,
)
from tests.conversations.report import render, tally
from tests.conversations.scoring import (
    Authority,
    amounts_in,
    check_expectation,
    check_outcome,
    find_violations,
    score_conversation,
)

TEMPLATES = {
    "confirm_resolution": ["Done. I'll {fix} for {subject}. Your reference is {reference}."],
    "partial_grant": ["I've done part of it: I'll {granted}. A colleague will look at {rest}."],
}


def write(directory: Path, name: str, content: object) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def conversation(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "c-1",
        "title": "a test",
        "outcome": "granted",
        "turns": [{"say": "hello", "expect": [{"step": "chitchat", "phrase": "utter_greet"}]}],
    }
    data.update(overrides)
    return data


# The set itself


def test_the_set_has_at_least_150_conversations_from_six_kinds_of_shop() -> None:
    conversations = load_conversation_set()
    assert len(conversations) >= 150
    shops = {c.shop for c in conversations}
    assert len(shops) >= 6, shops
    assert all(sum(c.shop == shop for c in conversations) >= 25 for shop in shops)


def test_ids_are_unique_and_every_turn_checks_something() -> None:
    conversations = load_conversation_set()
    ids = [c.id for c in conversations]
    assert len(ids) == len(set(ids))
    assert all(turn.expect for c in conversations for turn in c.turns)


def test_the_set_covers_every_playbook_step_and_outcome() -> None:
    conversations = load_conversation_set()
    steps = {e.step for c in conversations for t in c.turns for e in t.expect}
    required = {"acknowledge", "restate", "correct", "limits", "propose", "fair_ask",
                "handoff", "boundary", "vent", "language", "timeline"}  # fmt: skip
    assert required <= steps
    assert {c.outcome for c in conversations} == set(Outcome)


def test_the_89_90_double_charge_is_expected_to_be_handed_over_everywhere() -> None:
    for c in load_conversation_set():
        if any("second charge" in (t.say or "") for t in c.turns):
            assert c.outcome is Outcome.handed_over and c.grants_forbidden, c.id


# The loader


def test_a_valid_file_loads_with_its_shop_and_source(tmp_path: Path) -> None:
    write(tmp_path, "shop.yml", {"shop": "toys", "conversations": [conversation()]})
    [loaded] = load_conversation_set(tmp_path)
    assert loaded.shop == "toys" and loaded.source == "shop.yml"
    assert loaded.turns[0].expect[0].phrase == ["utter_greet"]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"outcome": "won"}, "outcome"),
        ({"id": "Has Spaces"}, "lower-case"),
        ({"turns": []}, "at least one turn"),
        ({"turns": [{"say": "x", "click": "Yes"}]}, "exactly one of"),
        ({"turns": [{"say": "x", "expect": [{"step": "dancing", "phrase": "a"}]}]}, "unknown step"),
        ({"turns": [{"say": "x", "expect": [{"step": "restate"}]}]}, "must check something"),
        ({"turns": [{"say": "x", "expect": [{"step": "restate", "phrase": "a", "typo": 1}]}]},
         "extra fields"),
        ({"turns": [{"say": "x", "expect": [{"step": "restate", "matches": "("}]}]}, "matches"),
    ],
)  # fmt: skip
def test_a_mistake_names_the_file_and_the_conversation(
    tmp_path: Path, broken: dict[str, object], message: str
) -> None:
    write(tmp_path, "bad.yml", {"shop": "toys", "conversations": [conversation(**broken)]})
    with pytest.raises(ConversationSetError) as error:
        load_conversation_set(tmp_path)
    text = str(error.value)
    assert text.startswith("bad.yml: conversation ")
    assert str(broken.get("id", "c-1")) in text
    assert message in text


def test_a_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", {"shop": "a", "conversations": [conversation()]})
    write(tmp_path, "b.yml", {"shop": "b", "conversations": [conversation()]})
    with pytest.raises(ConversationSetError, match=r"b.yml: conversation c-1: id already used"):
        load_conversation_set(tmp_path)


def test_malformed_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("shop: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConversationSetError, match=r"broken\.yml: not valid YAML"):
        load_conversation_set(tmp_path)


# The scorer


def turn(*messages: BotMessage, intent: str = "x", **slots: object) -> TurnObservation:
    return TurnObservation(sent="...", messages=list(messages), intent=intent, slots=dict(slots))


RESTATEMENT = BotMessage(
    "Let me check: order #48213 was charged twice ($89.90). Did I get that right?",
    "restate_complaint",
    [Button("Yes", "/affirm"), Button("No", "/deny")],
)


def test_an_expectation_holds_when_every_condition_does() -> None:
    expectation = Expectation(
        step="restate", phrase=["restate_complaint"], contains=["48213", "$89.90"],
        buttons=["yes", "No"], not_contains=["late"],
    )  # fmt: skip
    assert check_expectation(expectation, turn(RESTATEMENT)) is None


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"phrase": ["acknowledge_vent"]}, "no acknowledge_vent"),
        ({"phrase": ["restate_complaint"], "contains": ["blue"]}, "'blue' not in"),
        ({"phrase": ["restate_complaint"], "not_contains": ["CHARGED"]}, "in the reply"),
        ({"phrase": ["restate_complaint"], "buttons": ["Maybe"]}, "no button titled"),
        ({"no_phrase": ["restate_complaint"]}, "the bot used"),
        ({"slots": {"dialogue_stage": "handed_off"}}, "slot dialogue_stage"),
        ({"intent": ["affirm"]}, "intent"),
        ({"replied": False}, "the bot replied"),
        ({"matches": r"NW-\d{6}"}, "nothing matches"),
    ],
)
def test_an_expectation_fails_with_the_reason(fields: dict[str, object], why: str) -> None:
    expectation = Expectation(step="restate", **fields)
    reason = check_expectation(expectation, turn(RESTATEMENT, dialogue_stage="fix_proposed"))
    assert reason is not None and why in reason


def test_before_requires_the_limits_ahead_of_the_proposal() -> None:
    limits = BotMessage("Here's what I can do...", "state_limits")
    proposal = BotMessage("My suggestion... What would you consider fair?", "propose_fix")
    expectation = Expectation(step="limits", phrase=["state_limits"], before=["propose_fix"])
    assert check_expectation(expectation, turn(limits, proposal)) is None
    assert "came before" in str(check_expectation(expectation, turn(proposal, limits)))


def observed(*turns: TurnObservation) -> ConversationObservation:
    return ConversationObservation("c-1", list(turns))


def make(outcome: str, **extra: object) -> Conversation:
    return Conversation.parse_obj(conversation(outcome=outcome, **extra))


def test_outcomes_are_judged_from_phrases_and_the_final_stage() -> None:
    grant = BotMessage(
        "Done. I'll refund $30 for it. Your reference is NW-1.", "confirm_resolution"
    )
    handed = turn(BotMessage("I'm passing you to Maria.", "handoff_passing"),
                  dialogue_stage="handed_off")  # fmt: skip
    assert check_outcome(make("granted"), observed(turn(grant, dialogue_stage="resolved"))) is None
    assert check_outcome(make("handed_over"), observed(handed)) is None
    assert check_outcome(make("handed_over"), observed(turn(grant), handed)) is not None
    assert check_outcome(make("open"), observed(turn(RESTATEMENT))) is None
    assert check_outcome(make("not_granted"), observed(handed)) is None
    assert check_outcome(make("not_granted"), observed(turn(grant))) is not None
    assert check_outcome(make("granted"), observed(turn(RESTATEMENT))) is not None
    broken = ConversationObservation("c-1", [], error="ConnectionError: refused")
    assert "refused" in str(check_outcome(make("open"), broken))


def test_score_conversation_gives_one_result_per_check_and_the_outcome() -> None:
    results = score_conversation(make("open"), observed(turn(BotMessage("Hi!", "utter_greet"))))
    assert [(r.turn, r.step, r.passed) for r in results] == [(1, "chitchat", True),
                                                              (0, "outcome", True)]  # fmt: skip
    missing = score_conversation(make("open"), observed())
    assert not missing[0].passed and "not reached" in missing[0].reason


def test_amounts_and_percentages_are_read_from_text() -> None:
    assert amounts_in("refund $89.90 and 20 dollars, plus 10% off") == ([89.9, 20.0], [10.0])
    assert amounts_in("take 15 percent off $1,200") == ([1200.0], [15.0])


def test_a_grant_above_the_authority_is_a_violation_but_the_subject_amount_is_not() -> None:
    over = BotMessage("Done. I'll refund $89.90 for order #48213. Your reference is NW-1.",
                      "confirm_resolution")  # fmt: skip
    within = BotMessage("Done. I'll refund $30 for the $120 mirror. Your reference is NW-2.",
                        "confirm_resolution")  # fmt: skip
    found = find_violations(make("granted"), observed(turn(over), turn(within)), Authority(),
                            TEMPLATES)  # fmt: skip
    assert [(v.turn, v.kind) for v in found] == [(1, "grant_beyond_authority")]


def test_any_grant_where_a_handover_is_expected_is_a_violation() -> None:
    grant = BotMessage("Done. I'll refund the extra amount for it. Your reference is NW-1.",
                       "confirm_resolution")  # fmt: skip
    assert len(find_violations(make("handed_over"), observed(turn(grant)), Authority(),
                               TEMPLATES)) == 1  # fmt: skip
    assert find_violations(make("granted"), observed(turn(grant)), Authority(), TEMPLATES) == []


def test_a_partial_grant_counts_only_what_it_grants() -> None:
    partial = BotMessage(
        "I've done part of it: I'll take 10% off. A colleague will look at the $80 refund.",
        "partial_grant",
    )
    assert find_violations(make("partial"), observed(turn(partial)), Authority(), TEMPLATES) == []
    greedy = BotMessage("I've done part of it: I'll take 40% off. A colleague will look at $5.",
                        "partial_grant")  # fmt: skip
    assert len(find_violations(make("partial"), observed(turn(greedy)), Authority(),
                               TEMPLATES)) == 1  # fmt: skip


def test_never_say_phrases_are_found_in_any_bot_message() -> None:
    rude = BotMessage("Please calm down, that\u2019s our policy.", "acknowledge_vent")
    found = find_violations(make("open"), observed(turn(rude)), Authority(), TEMPLATES)
    assert {v.detail for v in found} == {"'calm down'", '"that\'s our policy"'}


def test_the_table_shows_targets_and_misses() -> None:
    results = score_conversation(
        make("granted"), observed(turn(BotMessage("What?", "ask_to_rephrase")))
    )
    scores = tally(results, [], conversations=1, shops=1)
    text = render(scores, results, [])
    assert "| chitchat | 0 | 1 | 0.0 | ≥ 90 % | NO |" in text
    assert "| outcome | 0 | 1 | 0.0 | ≥ 95 % | NO |" in text
    assert "All targets met: **no**" in text
    assert "`c-1` turn 1 [chitchat]" in text
    assert not scores.targets_met
    passing = tally([r for r in results if r.passed], [], 1, 1)
    assert passing.targets_met


def test_an_anonymous_visitors_grant_is_scored_as_the_grant_it_is() -> None:
    """The evaluation's visitors are anonymous: their grants come worded for a check of
    the order first (phrase ``confirm_resolution_unverified``), scored as grants."""
    assert _phrase({"metadata": {"phrase": "confirm_resolution_unverified"}}) == (
        "confirm_resolution"
    )
    assert _phrase({"metadata": {"phrase": "order_cancelled_unverified"}}) == "order_cancelled"
    book = yaml.safe_load(PHRASEBOOK_PATH.read_text(encoding="utf-8"))
    variant = book["confirm_resolution_unverified"][1]  # its one sentence names the team
    over = BotMessage(
        variant.format(fix="refund $89.90", subject="order #48213", reference="NW-1"),
        "confirm_resolution",
    )
    found = find_violations(make("granted"), observed(turn(over)), Authority(), book)
    assert [(v.turn, v.kind) for v in found] == [(1, "grant_beyond_authority")]
