"""bot/case_records.py on the real test Redis: references, resolutions, handoffs, cancellations."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from bot import redis_keys
from bot.case_records import (
    CancellationRequest,
    CaseRecords,
    HandoffRequest,
    ResolutionRecord,
)

DAY = datetime(2024, 11, 23, 15, 30, tzinfo=timezone.utc)
NEXT_DAY = datetime(2024, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def records(redis_client) -> CaseRecords:
    return CaseRecords(redis_client)


def resolution(reference: str, **changes) -> ResolutionRecord:
    values = {
        "reference": reference,
        "customer_key": "visitor-1",
        "session_id": "visitor-1",
        "categories": ["late_delivery", "billing"],
        "order_id": "48213",
        "fix": "refund the delivery fee",
        "within_authority": True,
        "agreed_at": DAY.isoformat(),
    }
    values.update(changes)
    return ResolutionRecord(**values)


def handoff(session_id: str, trigger: str = "customer_request") -> HandoffRequest:
    return HandoffRequest(
        session_id=session_id,
        customer_key=session_id,
        trigger=trigger,
        reason="the customer asked for a person",
        categories=["damaged_item"],
        order_id="48213",
        customer_ask=None,
        requested_at=DAY.isoformat(),
    )


async def test_a_reference_has_the_prefix_the_date_and_a_four_digit_number(records):
    assert await records.next_reference("NW", now=DAY) == "NW-241123-0001"


async def test_references_increase_within_a_day(records):
    first = await records.next_reference("NW", now=DAY)
    second = await records.next_reference("NW", now=DAY)
    third = await records.next_reference("NW", now=DAY)

    assert [first, second, third] == ["NW-241123-0001", "NW-241123-0002", "NW-241123-0003"]


async def test_references_requested_at_the_same_time_are_all_different(records):
    references = await asyncio.gather(*(records.next_reference("NW", now=DAY) for _ in range(25)))

    assert len(set(references)) == 25
    assert sorted(references)[-1] == "NW-241123-0025"


async def test_each_day_counts_from_one(records):
    await records.next_reference("NW", now=DAY)

    assert await records.next_reference("NW", now=NEXT_DAY) == "NW-241124-0001"


async def test_the_daily_counter_expires(records, redis_client):
    await records.next_reference("NW", now=DAY)

    ttl = await redis_client.ttl(redis_keys.reference_counter_key("241123"))
    assert 0 < ttl <= 3 * 24 * 3600


async def test_a_reference_without_a_date_uses_today(records):
    today = datetime.now(timezone.utc).strftime("%y%m%d")

    assert await records.next_reference("NW") == f"NW-{today}-0001"


async def test_a_resolution_is_loaded_as_it_was_saved(records):
    saved = resolution("NW-241123-0001")

    await records.save_resolution(saved)

    assert await records.load_resolution("NW-241123-0001") == saved


async def test_a_resolution_without_an_order_id_loads_with_none(records):
    saved = resolution("NW-241123-0002", order_id=None, categories=["service"])

    await records.save_resolution(saved)

    loaded = await records.load_resolution("NW-241123-0002")
    assert loaded is not None
    assert loaded.order_id is None
    assert loaded.categories == ["service"]


async def test_a_resolution_beyond_authority_keeps_that_flag(records):
    await records.save_resolution(resolution("NW-241123-0003", within_authority=False))

    loaded = await records.load_resolution("NW-241123-0003")
    assert loaded is not None
    assert loaded.within_authority is False


async def test_a_resolution_is_stored_as_a_readable_hash(records, redis_client):
    await records.save_resolution(resolution("NW-241123-0004"))

    fields = await redis_client.hgetall("resolution:NW-241123-0004")
    assert fields["fix"] == "refund the delivery fee"
    assert json.loads(fields["categories"]) == ["late_delivery", "billing"]
    assert fields["within_authority"] == "1"


async def test_an_unknown_reference_loads_as_none(records):
    assert await records.load_resolution("NW-000000-9999") is None


async def test_the_customer_index_lists_their_references_oldest_first(records):
    later = NEXT_DAY.isoformat()
    await records.save_resolution(resolution("NW-241124-0001", agreed_at=later))
    await records.save_resolution(resolution("NW-241123-0001"))
    await records.save_resolution(resolution("NW-241123-0002", customer_key="someone-else"))

    assert await records.customer_resolution_references("visitor-1") == [
        "NW-241123-0001",
        "NW-241124-0001",
    ]
    assert await records.customer_resolution_references("someone-else") == ["NW-241123-0002"]
    assert await records.customer_resolution_references("nobody") == []


async def test_handoff_requests_are_appended_to_the_stream_in_order(records, redis_client):
    first_id = await records.save_handoff_request(handoff("visitor-1"))
    await records.save_handoff_request(handoff("visitor-2", trigger="no_fair_fix_agreed"))

    assert await redis_client.xlen(redis_keys.HANDOFF_REQUESTS_STREAM) == 2
    assert first_id == (await redis_client.xrange(redis_keys.HANDOFF_REQUESTS_STREAM))[0][0]
    assert await records.handoff_requests() == [
        handoff("visitor-1"),
        handoff("visitor-2", trigger="no_fair_fix_agreed"),
    ]


async def test_handoff_requests_can_be_filtered_by_session(records):
    await records.save_handoff_request(handoff("visitor-1"))
    await records.save_handoff_request(handoff("visitor-2"))
    await records.save_handoff_request(handoff("visitor-1", trigger="accepted_offer_after_venting"))

    requests = await records.handoff_requests("visitor-1")

    assert [request.trigger for request in requests] == [
        "customer_request",
        "accepted_offer_after_venting",
    ]
    assert await records.handoff_requests("visitor-3") == []


async def test_cancellations_are_stored(records, redis_client):
    request = CancellationRequest(
        reference="NW-241123-0005",
        session_id="visitor-1",
        customer_key="visitor-1",
        order_id="48213",
        requested_at=DAY.isoformat(),
    )

    await records.save_cancellation(request)

    assert await records.cancellations() == [request]
    assert await redis_client.xlen(redis_keys.CANCELLATION_REQUESTS_STREAM) == 1


def test_no_product_key_collides_with_rasas_own_stores():
    keys = [
        redis_keys.RESOLUTION_PREFIX,
        redis_keys.CUSTOMER_RESOLUTIONS_PREFIX,
        redis_keys.REFERENCE_COUNTER_PREFIX,
        redis_keys.HANDOFF_REQUESTS_STREAM,
        redis_keys.CANCELLATION_REQUESTS_STREAM,
    ]

    assert not [key for key in keys if key.startswith(("tracker:", "lock:"))]
