"""actions/resolution.py: accepting the proposed fix and judging the customer's fair ask."""

from __future__ import annotations

import json
import re

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import QUEUE_CHOICES
from actions.phrasing import phrasebook
from actions.resolution import ActionAcceptProposedFix, ActionEvaluateFairAsk
from actions.services import handoff_desk
from bot import redis_keys
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.case_records import CaseRecords
from bot.handoff import announcements
from bot.handoff.queue import HandoffQueue
from bot.retention import RetentionPolicy
from tests.unit.builders import entity, make_tracker, slot_events, texts

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)
REFERENCE = re.compile(r"NW-\d{6}-\d{4}")
PAUSE = {"event": "pause", "timestamp": None}

OPEN_COMPLAINT = {
    "complaint_open": True,
    "complaint_categories": ["late_delivery"],
    "order_id": "48213",
    "product": "kettle",
}


async def stored_resolution_keys(redis_client) -> list[str]:
    return [key async for key in redis_client.scan_iter(f"{redis_keys.RESOLUTION_PREFIX}*")]


# --- accepting the proposal ----------------------------------------------------------


async def test_an_accepted_proposal_is_recorded_under_a_new_reference(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={**OPEN_COMPLAINT, "dialogue_stage": "fix_proposed", "proposed_fix": "replacement"},
        sender_id="visitor-42",
    )

    events = await ActionAcceptProposedFix().run(dispatcher, tracker, domain)

    reference = slot_events(events)["last_reference"]
    assert REFERENCE.fullmatch(reference)
    fields = await redis_client.hgetall(redis_keys.resolution_key(reference))
    assert json.loads(fields["categories"]) == ["late_delivery"]
    assert fields["order_id"] == "48213"
    assert fields["fix"] == RULES.category("late_delivery").fixes[1].text
    assert fields["session_id"] == "visitor-42"
    assert fields["within_authority"] == "1"
    assert await CaseRecords(redis_client).customer_resolution_references("visitor-42") == [
        reference
    ]


async def test_an_accepted_proposal_is_confirmed_with_the_reference(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={
            **OPEN_COMPLAINT,
            "dialogue_stage": "fix_proposed",
            "proposed_fix": "refund_delivery_fee",
        },
        customer_key="user:u-1001",
    )

    events = await ActionAcceptProposedFix().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    reference = slot_events(events)["last_reference"]
    assert phrasebook().matches("confirm_resolution", text)
    assert reference in text
    assert "refund the delivery fee" in text
    assert "the kettle from order #48213" in text
    assert slot_events(events) == {
        "last_reference": reference,
        "granted_fix": "refund_delivery_fee",
        "complaint_open": False,
        "dialogue_stage": "resolved",
    }


async def test_two_accepted_proposals_get_different_references(domain, redis_client):
    slots = {**OPEN_COMPLAINT, "dialogue_stage": "fix_proposed"}
    first = await ActionAcceptProposedFix().run(
        CollectingDispatcher(), make_tracker("affirm", slots=slots), domain
    )
    second = await ActionAcceptProposedFix().run(
        CollectingDispatcher(), make_tracker("affirm", slots=slots), domain
    )

    assert slot_events(first)["last_reference"] != slot_events(second)["last_reference"]
    assert len(await stored_resolution_keys(redis_client)) == 2


async def test_accepting_without_a_proposed_fix_records_the_first_fix(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm", slots={"complaint_open": True, "complaint_categories": ["wrong_item"]}
    )

    events = await ActionAcceptProposedFix().run(dispatcher, tracker, domain)

    record = await CaseRecords(redis_client).load_resolution(slot_events(events)["last_reference"])
    assert record is not None
    assert record.fix == RULES.category("wrong_item").fixes[0].text
    assert record.order_id is None


async def test_accepting_with_no_open_complaint_asks_what_happened(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm", slots={"complaint_categories": ["billing"], "dialogue_stage": "resolved"}
    )

    events = await ActionAcceptProposedFix().run(dispatcher, tracker, domain)

    assert dispatcher.messages[0]["response"] == "utter_ask_what_happened"
    assert events == []
    assert await stored_resolution_keys(redis_client) == []


# --- the fair ask --------------------------------------------------------------------


def fair_ask(
    text: str,
    amount: str | None = None,
    stage: str = "fair_ask_requested",
    customer_key: str | None = None,
    **slots,
):
    return make_tracker(
        "propose_resolution",
        text,
        entities=[entity("amount", amount)] if amount else [],
        slots={**OPEN_COMPLAINT, "dialogue_stage": stage, **slots},
        sender_id="visitor-7",
        customer_key=customer_key,
    )


async def test_a_fair_ask_within_authority_is_granted_and_recorded(
    dispatcher, domain, redis_client
):
    events = await ActionEvaluateFairAsk().run(
        dispatcher, fair_ask("$20 back would be fair", "$20", customer_key="user:u-1001"), domain
    )

    reference = slot_events(events)["last_reference"]
    record = await CaseRecords(redis_client).load_resolution(reference)
    assert record is not None
    assert record.fix == "refund $20"
    assert record.within_authority
    assert record.session_id == "visitor-7"
    assert record.verified
    assert record.user_id == "u-1001"
    assert record.customer_key == "user:u-1001"
    [text] = texts(dispatcher)
    assert phrasebook().matches("confirm_resolution", text)
    assert "refund $20" in text
    assert reference in text
    assert slot_events(events)["dialogue_stage"] == "resolved"
    assert await CaseRecords(redis_client).handoff_requests() == []


async def test_a_fix_named_in_the_fair_ask_is_granted(dispatcher, domain, redis_client):
    events = await ActionEvaluateFairAsk().run(
        dispatcher, fair_ask("just refund the shipping fee please"), domain
    )

    record = await CaseRecords(redis_client).load_resolution(slot_events(events)["last_reference"])
    assert record is not None
    assert record.fix == "refund the delivery fee"


async def test_a_fair_ask_beyond_authority_goes_to_a_person_with_the_ask(
    dispatcher, domain, redis_client
):
    events = await ActionEvaluateFairAsk().run(
        dispatcher, fair_ask("I want $400 back", "$400"), domain
    )

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "fair_ask_beyond_authority"
    assert request.customer_ask == "refund $400"
    assert request.session_id == "visitor-7"
    assert request.categories == ["late_delivery"]
    assert request.order_id == "48213"
    assert "$50" in request.reason
    # Nobody is online in this test: the ask is read back, then the honest wait.
    [text, _] = texts(dispatcher)
    assert text == (
        "I've noted that you'd consider it fair if we refund $400. "
        + announcements.nobody_free(1, None, handoff_desk().team_back_at())
    )
    assert dispatcher.messages[0]["buttons"] == QUEUE_CHOICES
    assert dispatcher.messages[1]["custom"]["handoff"]["state"] == "queued"
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE
    packet = await HandoffQueue(redis_client).packet("visitor-7")
    assert packet is not None
    assert packet["fair_ask"] == "refund $400"
    assert await stored_resolution_keys(redis_client) == []


async def test_a_fix_that_needs_approval_goes_to_a_person(dispatcher, domain, redis_client):
    events = await ActionEvaluateFairAsk().run(
        dispatcher, fair_ask("a full refund is the least you can do"), domain
    )

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "fair_ask_beyond_authority"
    assert request.customer_ask == "refund the whole order"
    assert texts(dispatcher)[0].startswith(
        "I've noted that you'd consider it fair if we refund the whole order. "
    )
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE
    assert await stored_resolution_keys(redis_client) == []


async def test_an_unclear_first_ask_is_clarified_with_examples(dispatcher, domain, redis_client):
    tracker = fair_ask("just sort it out", stage="fix_proposed")

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    fixes = RULES.category("late_delivery").fixes
    assert phrasebook().matches("clarify_fair_ask", text)
    assert fixes[0].text in text
    assert fixes[1].text in text
    assert slot_events(events) == {"dialogue_stage": "fair_ask_requested"}
    assert await CaseRecords(redis_client).handoff_requests() == []
    assert await stored_resolution_keys(redis_client) == []


async def test_a_second_unclear_ask_goes_to_a_person_with_the_customers_words(
    dispatcher, domain, redis_client
):
    tracker = fair_ask("just sort it out", stage="fair_ask_requested")

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "fair_ask_needs_judgement"
    assert request.customer_ask == "just sort it out"
    [text, _] = texts(dispatcher)
    assert text == announcements.nobody_free(1, None, handoff_desk().team_back_at())
    # Free text is attached to the request and the packet, not read back to the customer.
    assert "just sort it out" not in text
    assert "I've noted" not in text
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE
    packet = await HandoffQueue(redis_client).packet("visitor-7")
    assert packet is not None
    assert (packet["trigger"], packet["fair_ask"]) == (
        "fair_ask_needs_judgement",
        "just sort it out",
    )


async def test_a_fair_ask_with_no_open_complaint_asks_what_happened(
    dispatcher, domain, redis_client
):
    tracker = make_tracker("propose_resolution", "$20 would be fair", [entity("amount", "$20")])

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    assert dispatcher.messages[0]["response"] == "utter_ask_what_happened"
    assert slot_events(events) == {"dialogue_stage": None}
    assert await stored_resolution_keys(redis_client) == []
    assert await CaseRecords(redis_client).handoff_requests() == []


# --- who the customer is ----------------------------------------------------------------


async def test_an_anonymous_visitors_grant_is_recorded_unverified_and_promised_after_a_check(
    dispatcher, domain, redis_client
):
    tracker = fair_ask("$20 back would be fair", "$20", customer_key="visitor:s-77")

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    reference = slot_events(events)["last_reference"]
    record = await CaseRecords(redis_client).load_resolution(reference)
    assert record is not None
    assert not record.verified
    assert record.user_id is None
    assert await redis_client.hget(redis_keys.resolution_key(reference), "verified") == "0"
    [text] = texts(dispatcher)
    assert phrasebook().matches("confirm_resolution_unverified", text)
    assert not phrasebook().matches("confirm_resolution", text)
    assert "refund $20" in text
    assert reference in text
    assert "I'll refund" not in text


async def test_an_anonymous_visitors_partial_grant_waits_for_the_ownership_check(
    dispatcher, domain, redis_client
):
    tracker = fair_ask(
        "refund the delivery fee and give me 40% off", stage="fix_proposed", customer_key=None
    )

    events = await ActionEvaluateFairAsk().run(dispatcher, tracker, domain)

    record = await CaseRecords(redis_client).load_resolution(slot_events(events)["last_reference"])
    assert record is not None
    assert not record.verified
    assert any(phrasebook().matches("partial_grant_unverified", text) for text in texts(dispatcher))
    assert not any(phrasebook().matches("partial_grant", text) for text in texts(dispatcher))


async def test_a_grant_is_kept_for_the_resolution_retention(dispatcher, domain, redis_client):
    events = await ActionEvaluateFairAsk().run(
        dispatcher, fair_ask("$20 back would be fair", "$20"), domain
    )

    reference = slot_events(events)["last_reference"]
    policy = RetentionPolicy.from_environment()
    ttl = await redis_client.ttl(redis_keys.resolution_key(reference))
    assert policy.seconds("resolution") - 60 < ttl <= policy.seconds("resolution")
    index_ttl = await redis_client.ttl(redis_keys.customer_resolutions_key("visitor-7"))
    assert 0 < index_ttl <= policy.seconds("customer_index")
