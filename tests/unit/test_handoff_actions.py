"""actions/handoff.py: bringing in a person, and carrying on when the customer declines."""

from __future__ import annotations

from actions.handoff import ActionContinueWithBot, ActionHandOff
from actions.phrasing import phrasebook
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.case_records import CaseRecords
from tests.unit.builders import make_tracker, slot_events, texts

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


async def test_asking_for_a_person_records_the_request_with_the_complaint(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "request_human",
        "let me talk to a real person",
        slots={
            "complaint_open": True,
            "complaint_categories": ["damaged_item", "billing"],
            "order_id": "ORD-48213",
            "dialogue_stage": "complaint_restated",
        },
        sender_id="visitor-9",
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "customer_request"
    assert request.session_id == "visitor-9"
    assert request.customer_key == "visitor-9"
    assert request.categories == ["damaged_item", "billing"]
    assert request.order_id == "48213"
    assert request.customer_ask is None
    assert request.requested_at
    assert slot_events(events) == {"complaint_open": False, "dialogue_stage": "handed_off"}


async def test_the_customer_is_told_the_honest_next_step(dispatcher, domain, redis_client):
    tracker = make_tracker("request_human", "human please")

    await ActionHandOff().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("handoff_requested", text)
    assert RULES.human_reply_time in text
    assert "repeat yourself" in text or "no need to start again" in text


async def test_asking_for_a_person_before_any_complaint_is_still_recorded(
    dispatcher, domain, redis_client
):
    await ActionHandOff().run(dispatcher, make_tracker("request_human"), domain)

    [request] = await CaseRecords(redis_client).handoff_requests("visitor-1")
    assert request.trigger == "customer_request"
    assert request.categories == []
    assert request.order_id is None


async def test_accepting_the_offer_after_venting_is_recorded_as_such(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        "yes please",
        slots={"dialogue_stage": "human_offered", "human_offer_reason": "venting"},
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "accepted_offer_after_venting"
    assert "venting" in request.reason
    assert slot_events(events) == {"complaint_open": False, "dialogue_stage": "handed_off"}


async def test_accepting_the_offer_after_misunderstandings_is_recorded_as_such(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={
            "dialogue_stage": "human_offered",
            "human_offer_reason": "repeated_misunderstanding",
        },
    )

    await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "accepted_offer_after_repeated_misunderstanding"
    assert "repeated misunderstanding" in request.reason


async def test_no_fair_fix_agreed_is_recorded_as_such(dispatcher, domain, redis_client):
    tracker = make_tracker(
        "deny",
        "no",
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "dialogue_stage": "fair_ask_requested",
        },
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "no_fair_fix_agreed"
    assert request.categories == ["late_delivery"]
    assert slot_events(events) == {"complaint_open": False, "dialogue_stage": "handed_off"}


async def test_declining_a_person_returns_to_the_open_complaint(dispatcher, domain):
    tracker = make_tracker(
        "deny",
        slots={
            "complaint_open": True,
            "complaint_categories": ["wrong_item"],
            "product": "blue lamp",
            "dialogue_stage": "human_offered",
            "human_offer_reason": "venting",
        },
    )

    events = await ActionContinueWithBot().run(dispatcher, tracker, domain)

    carry_on, restated = texts(dispatcher)
    assert phrasebook().matches("continue_with_bot", carry_on)
    assert phrasebook().matches("restate_complaint", restated)
    assert "the blue lamp wasn't what you ordered" in restated
    assert slot_events(events) == {
        "human_offer_reason": None,
        "dialogue_stage": "complaint_restated",
    }


async def test_declining_a_person_with_no_complaint_asks_what_happened(dispatcher, domain):
    tracker = make_tracker(
        "deny", slots={"dialogue_stage": "human_offered", "human_offer_reason": "venting"}
    )

    events = await ActionContinueWithBot().run(dispatcher, tracker, domain)

    assert phrasebook().matches("continue_with_bot", texts(dispatcher)[0])
    assert dispatcher.messages[1]["response"] == "utter_ask_what_happened"
    assert slot_events(events) == {"human_offer_reason": None, "dialogue_stage": None}
