"""actions/struggle.py: venting, misunderstandings and the default fallback."""

from __future__ import annotations

import pytest

from actions.phrasing import phrasebook
from actions.struggle import ActionDefaultFallback, ActionHandleNluFallback, ActionRespondToVent
from tests.unit.builders import make_tracker, slot_events, texts

VENT = "this is ridiculous, I'm done with you people"


@pytest.mark.parametrize("earlier", [[], ["vent"]], ids=["first vent", "second vent"])
async def test_venting_is_acknowledged_without_moving_on(dispatcher, domain, earlier):
    tracker = make_tracker("vent", VENT, earlier_intents=earlier)

    events = await ActionRespondToVent().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("acknowledge_vent", text)
    assert events == []


async def test_a_third_vent_in_a_row_offers_a_person(dispatcher, domain):
    tracker = make_tracker("vent", VENT, earlier_intents=["vent", "vent"])

    events = await ActionRespondToVent().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("offer_human_after_venting", text)
    assert slot_events(events) == {
        "human_offer_reason": "venting",
        "dialogue_stage": "human_offered",
    }


async def test_vents_interrupted_by_another_message_start_counting_again(dispatcher, domain):
    tracker = make_tracker("vent", VENT, earlier_intents=["vent", "vent", "inform", "vent"])

    events = await ActionRespondToVent().run(dispatcher, tracker, domain)

    assert phrasebook().matches("acknowledge_vent", texts(dispatcher)[0])
    assert events == []


async def test_a_first_misunderstanding_asks_to_rephrase(dispatcher, domain):
    tracker = make_tracker("nlu_fallback", "blorp the flange", earlier_intents=["greet"])

    events = await ActionHandleNluFallback().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("ask_to_rephrase", text)
    assert events == []


async def test_a_second_misunderstanding_in_a_row_offers_a_person(dispatcher, domain):
    tracker = make_tracker("nlu_fallback", "flange again", earlier_intents=["nlu_fallback"])

    events = await ActionHandleNluFallback().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("offer_human_after_fallbacks", text)
    assert slot_events(events) == {
        "human_offer_reason": "repeated_misunderstanding",
        "dialogue_stage": "human_offered",
    }


async def test_misunderstandings_apart_do_not_offer_a_person(dispatcher, domain):
    tracker = make_tracker("nlu_fallback", "flange", earlier_intents=["nlu_fallback", "greet"])

    events = await ActionHandleNluFallback().run(dispatcher, tracker, domain)

    assert phrasebook().matches("ask_to_rephrase", texts(dispatcher)[0])
    assert events == []


async def test_the_default_fallback_says_so_and_forgets_the_message(dispatcher, domain):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker("inform", "?!"), domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("default_fallback", text)
    assert events == [{"event": "rewind", "timestamp": None}]


async def test_an_unsure_complaint_asks_which_problem_with_the_likeliest_as_buttons(
    dispatcher, domain
):
    tracker = make_tracker(
        "nlu_fallback",
        "the thing from my order is just not right",
        earlier_intents=["greet"],
        signals={
            "complaint_guesses": [
                "complain_not_as_described",
                "complain_wrong_item",
                "complain_faulty_item",
                "complain_damaged_item",
            ]
        },
    )

    events = await ActionHandleNluFallback().run(dispatcher, tracker, domain)

    [message] = dispatcher.messages
    assert phrasebook().matches("clarify_category", message["text"])
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Item not as described", "/complain_not_as_described"),
        ("Wrong item", "/complain_wrong_item"),
        ("Faulty product", "/complain_faulty_item"),
    ]
    assert events == []
