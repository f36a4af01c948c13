"""Issue 16, finding 7: the bot acted on order numbers nobody owns.

The attack: an anonymous visitor names someone else's order and asks to cancel it, or
agrees a refund on it. Now the record says the request is unverified (so the order
system checks ownership before acting) and the bot does not say it was done; a customer
whose identity the host page vouched for gets a record tied to their user id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as redis

from actions.phrasing import phrasebook
from bot import redis_keys
from bot.case_records import CaseRecords
from bot.stack import Stack
from tests.e2e.conftest import IDENTITY_SECRET
from tests.e2e.visitor import Visitor

pytestmark = pytest.mark.stack

SOMEONE_ELSES_ORDER = "70442"


def signed_in(user_id: str) -> dict[str, str]:
    """What the host page sends for a user it vouches for (``user.id`` + ``user.hash``)."""
    digest = hmac.new(IDENTITY_SECRET.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return {"id": user_id, "hash": digest}


def phrase_of(text: str) -> str:
    book = phrasebook()
    [key] = [key for key in book.phrases if book.matches(key, text)]
    return key


async def cancel(visitor: Visitor, order_id: str) -> list[str]:
    await visitor.say(f"please cancel order {order_id}")
    return await visitor.say("yes")


async def stream_entry_of(stack: Stack, session_id: str) -> dict[str, str]:
    """The cancellation stream entry of the session, as the order system reads it."""
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        entries = await client.xrange(redis_keys.CANCELLATION_REQUESTS_STREAM)
    finally:
        await client.close()
    [fields] = [f for _, f in entries if json.loads(f["request"])["session_id"] == session_id]
    return fields


async def test_an_anonymous_visitor_cannot_get_someone_elses_order_cancelled(
    stack: Stack, visitor: Visitor, records: CaseRecords
) -> None:
    replies = await cancel(visitor, SOMEONE_ELSES_ORDER)

    assert [phrase_of(text) for text in replies] == ["order_cancelled_unverified"]
    assert "checks the order is yours" in replies[0]
    assert "is being cancelled" not in replies[0] and "sent the cancellation" not in replies[0]
    [record] = [c for c in await records.cancellations() if c.session_id == visitor.session_id]
    assert record.order_id == SOMEONE_ELSES_ORDER
    assert (record.verified, record.user_id) == (False, None)
    assert record.customer_key == visitor.customer_key
    entry = await stream_entry_of(stack, visitor.session_id)
    assert entry["verified"] == "false"  # the order system is told nobody checked
    assert entry["user_id"] == ""


async def test_a_verified_customers_cancellation_is_tied_to_their_user_id(
    stack: Stack, open_visitor: Callable[..., Awaitable[Visitor]], records: CaseRecords
) -> None:
    visitor = await open_visitor(stack.config.gateway_urls[0], user=signed_in("cust-7001"))

    replies = await cancel(visitor, "70443")

    assert [phrase_of(text) for text in replies] == ["order_cancelled"]
    [record] = [c for c in await records.cancellations() if c.session_id == visitor.session_id]
    assert (record.verified, record.user_id) == (True, "cust-7001")
    assert record.customer_key == "user:cust-7001"
    entry = await stream_entry_of(stack, visitor.session_id)
    assert (entry["verified"], entry["user_id"]) == ("true", "cust-7001")


async def agree_a_refund(visitor: Visitor, order_id: str) -> list[str]:
    await visitor.say(f"the kettle from order {order_id} arrived broken, it cost $45")
    await visitor.say("yes")
    return await visitor.say("honestly $30 back would be fair")


async def test_an_anonymous_visitors_refund_is_recorded_unverified_and_not_promised(
    visitor: Visitor, records: CaseRecords
) -> None:
    replies = await agree_a_refund(visitor, SOMEONE_ELSES_ORDER)

    assert [phrase_of(text) for text in replies] == ["confirm_resolution_unverified"]
    assert "I'll refund" not in replies[0]
    [reference] = await records.customer_resolution_references(visitor.customer_key)
    record = await records.load_resolution(reference)
    assert record is not None and record.within_authority
    assert (record.verified, record.user_id) == (False, None)


async def test_a_verified_customers_refund_is_recorded_against_their_identity(
    stack: Stack, open_visitor: Callable[..., Awaitable[Visitor]], records: CaseRecords
) -> None:
    visitor = await open_visitor(stack.config.gateway_urls[1], user=signed_in("cust-7002"))

    replies = await agree_a_refund(visitor, "70444")

    assert [phrase_of(text) for text in replies] == ["confirm_resolution"]
    references = await records.customer_resolution_references("user:cust-7002")
    record = await records.load_resolution(references[-1])
    assert record is not None
    assert (record.verified, record.user_id) == (True, "cust-7002")
    assert record.session_id == visitor.session_id
