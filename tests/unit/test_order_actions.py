"""actions/orders.py: cancelling an order, with its limits, a confirmation and a reference."""

from __future__ import annotations

import re

from actions.orders import ActionCancelOrder, ActionHandleCancelOrder, ActionKeepOrder
from actions.phrasing import phrasebook
from bot import redis_keys
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.case_records import CaseRecords
from tests.unit.builders import entity, make_tracker, slot_events, texts

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)


async def test_a_cancellation_without_an_order_number_asks_for_it(dispatcher, domain):
    tracker = make_tracker("cancel_order", "I want to cancel my order")

    events = await ActionHandleCancelOrder().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("ask_order_to_cancel", text)
    assert slot_events(events) == {"dialogue_stage": "awaiting_order_to_cancel"}


async def test_a_cancellation_with_an_order_number_states_the_limits_and_asks_to_confirm(
    dispatcher, domain
):
    tracker = make_tracker(
        "cancel_order",
        "cancel order #48213",
        entities=[entity("order_id", "#48213")],
        slots={"order_id": "#48213"},
    )

    events = await ActionHandleCancelOrder().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("confirm_cancellation", text)
    assert RULES.cancellation_limits in text
    assert "order #48213" in text
    assert "##" not in text
    assert slot_events(events) == {"dialogue_stage": "cancel_confirming"}


async def test_a_confirmed_cancellation_is_stored_with_a_reference(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={"order_id": "ORD-48213", "dialogue_stage": "cancel_confirming"},
        sender_id="visitor-5",
        customer_key="user:u-1001",
    )

    events = await ActionCancelOrder().run(dispatcher, tracker, domain)

    [cancellation] = await CaseRecords(redis_client).cancellations()
    assert re.fullmatch(r"NW-\d{6}-\d{4}", cancellation.reference)
    assert cancellation.order_id == "48213"
    assert cancellation.session_id == "visitor-5"
    assert cancellation.verified
    assert cancellation.user_id == "u-1001"
    [text] = texts(dispatcher)
    assert phrasebook().matches("order_cancelled", text)
    assert cancellation.reference in text
    assert "#48213" in text
    assert slot_events(events) == {
        "last_reference": cancellation.reference,
        "dialogue_stage": "resolved",
    }


async def test_confirming_a_cancellation_without_an_order_number_asks_for_it(
    dispatcher, domain, redis_client
):
    tracker = make_tracker("affirm", slots={"dialogue_stage": "cancel_confirming"})

    events = await ActionCancelOrder().run(dispatcher, tracker, domain)

    assert phrasebook().matches("ask_order_to_cancel", texts(dispatcher)[0])
    assert slot_events(events) == {"dialogue_stage": "awaiting_order_to_cancel"}
    assert await CaseRecords(redis_client).cancellations() == []


async def test_keeping_the_order_resets_the_stage(dispatcher, domain, redis_client):
    tracker = make_tracker(
        "deny", slots={"order_id": "48213", "dialogue_stage": "cancel_confirming"}
    )

    events = await ActionKeepOrder().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("order_kept", text)
    assert "#48213" in text
    assert slot_events(events) == {"dialogue_stage": None}
    assert await CaseRecords(redis_client).cancellations() == []


async def test_an_anonymous_visitors_cancellation_is_passed_on_unverified(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={"order_id": "48213", "dialogue_stage": "cancel_confirming"},
        sender_id="s-9",
        customer_key="visitor:s-9",
    )

    await ActionCancelOrder().run(dispatcher, tracker, domain)

    [cancellation] = await CaseRecords(redis_client).cancellations()
    assert not cancellation.verified
    assert cancellation.user_id is None
    [(_, fields)] = await redis_client.xrange(redis_keys.CANCELLATION_REQUESTS_STREAM)
    assert fields["verified"] == "false"  # the order system sees it without parsing JSON
    [text] = texts(dispatcher)
    assert phrasebook().matches("order_cancelled_unverified", text)
    assert not phrasebook().matches("order_cancelled", text)
    assert "#48213" in text
    assert cancellation.reference in text
    assert "cancelled order" not in text.lower()
