"""bot/conversations.py on the real test Redis: a customer's earlier conversations."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.case_records import CaseRecords, ResolutionRecord
from bot.chat_ids import chat_id
from bot.conversations import (
    EARLIER_LIMIT,
    conversation_of_customer,
    describe_outcome,
    earlier_conversations,
)
from bot.handoff.packet import EarlierConversation
from bot.inbox import InboxMessage, queued_for_bot
from bot.ownership import Ownership
from bot.transcript import QueuedWork

CUSTOMER = "c-1"
CURRENT = "s-current"
NOVEMBER_1ST = datetime(2026, 11, 1, 10, tzinfo=timezone.utc).timestamp()


def resume_work(session_id: str) -> QueuedWork:
    return queued_for_bot(session_id, InboxMessage("m", "continue", mode="resume"))


@pytest.fixture
def db(redis_client, client) -> redis.Redis:
    """The bytes client (like the gateway's); ``redis_client`` emptied the database."""
    return client


async def start(
    client: redis.Redis, session_id: str, at: float, customer_key: str = CUSTOMER
) -> None:
    """Index a conversation under the customer, as the gateway does when it opens one
    (scored by its start: 10:00 UTC on day ``at`` of November 2026)."""
    when = NOVEMBER_1ST + (at - 1) * 24 * 3600
    await client.zadd(redis_keys.customer_conversations_key(customer_key), {session_id: when})


async def resolve(redis_client: redis.Redis, session_id: str, reference: str) -> None:
    await CaseRecords(redis_client).save_resolution(
        ResolutionRecord(
            reference=reference,
            customer_key=CUSTOMER,
            session_id=session_id,
            categories=["late_delivery"],
            order_id="48213",
            fix="refund the delivery fee",
            within_authority=True,
            agreed_at="2026-11-01T10:05:00+00:00",
        )
    )


async def test_a_customer_with_no_conversations_has_none_earlier(db):
    assert await earlier_conversations(db, CUSTOMER, CURRENT) == []


async def test_only_the_current_conversation_means_none_earlier(db):
    await start(db, CURRENT, 1)

    assert await earlier_conversations(db, CUSTOMER, CURRENT) == []


async def test_earlier_conversations_come_newest_first_with_their_outcomes(db, redis_client):
    ownership = Ownership(db)
    await start(db, "s-resolved", 1)
    await resolve(redis_client, "s-resolved", "NW-261101-0001")
    await start(db, "s-agent-closed", 2)
    assert (await ownership.queue("s-agent-closed", {"summary": "parcel late"})).ok
    assert (await ownership.claim("s-agent-closed", "tom", 3)).ok
    assert (await ownership.close("s-agent-closed", by_agent="tom")).ok
    await start(db, "s-handed-back", 3)
    assert (await ownership.queue("s-handed-back", {"summary": "double charge"})).ok
    assert (await ownership.claim("s-handed-back", "maria", 3)).ok
    assert (
        await ownership.hand_back(
            "s-handed-back",
            "maria",
            resume_work("s-handed-back"),
        )
    ).ok
    await start(db, "s-queued", 4)
    assert (await ownership.queue("s-queued", {"summary": "wrong item"})).ok
    await start(db, CURRENT, 5)
    await start(db, "s-with-agent", 6)
    assert (await ownership.queue("s-with-agent", {})).ok
    assert (await ownership.claim("s-with-agent", "priya", 3)).ok
    await start(db, "s-bot-closed", 7)
    assert (await ownership.close("s-bot-closed")).ok
    await start(db, "s-open", 8)

    earlier = await earlier_conversations(db, CUSTOMER, CURRENT)

    assert [(e.chat_id, e.outcome, e.summary) for e in earlier] == [
        (chat_id("s-open"), "with the assistant, still open", None),
        (chat_id("s-bot-closed"), "with the assistant, closed", None),
        (chat_id("s-with-agent"), "with agent priya now", None),
        (chat_id("s-queued"), "waiting in the queue for a person", "wrong item"),
        (chat_id("s-handed-back"), "handled by agent maria, still open", "double charge"),
        (chat_id("s-agent-closed"), "handled by agent tom, closed", "parcel late"),
        (chat_id("s-resolved"), "resolved by the assistant, reference NW-261101-0001", None),
    ]
    assert [e.started_at for e in earlier] == [
        f"2026-11-{day:02d}T10:00:00.000Z" for day in (8, 7, 6, 4, 3, 2, 1)
    ]
    assert all(isinstance(e, EarlierConversation) for e in earlier)


async def test_other_customers_conversations_are_not_listed(db, redis_client):
    await start(db, "s-mine", 1)
    await start(db, "s-theirs", 2, customer_key="c-2")

    earlier = await earlier_conversations(db, CUSTOMER, CURRENT)

    assert [e.chat_id for e in earlier] == [chat_id("s-mine")]


async def test_a_resolution_of_another_conversation_does_not_mark_this_one(db, redis_client):
    await start(db, "s-resolved", 1)
    await start(db, "s-open", 2)
    await resolve(redis_client, "s-resolved", "NW-261101-0001")

    earlier = await earlier_conversations(db, CUSTOMER, CURRENT)

    assert [(e.chat_id, e.outcome) for e in earlier] == [
        (chat_id("s-open"), "with the assistant, still open"),
        (chat_id("s-resolved"), "resolved by the assistant, reference NW-261101-0001"),
    ]


async def test_the_start_comes_from_the_index_even_once_the_session_record_expired(db):
    await db.zadd(redis_keys.customer_conversations_key(CUSTOMER), {"s-old": 1764583200.5})

    [earlier] = await earlier_conversations(db, CUSTOMER, CURRENT)

    assert earlier.started_at == "2025-12-01T10:00:00.500Z"


@pytest.mark.parametrize("current_at", [0.5, 99])
async def test_at_most_the_limit_are_listed_and_the_current_never_is(db, current_at):
    for day in range(1, EARLIER_LIMIT + 3):
        await start(db, f"s-{day:02d}", day)
    await start(db, CURRENT, current_at)

    earlier = await earlier_conversations(db, CUSTOMER, CURRENT)

    newest = [f"s-{day:02d}" for day in range(EARLIER_LIMIT + 2, 2, -1)]
    assert [e.chat_id for e in earlier] == [chat_id(session_id) for session_id in newest]


async def test_a_smaller_limit_is_respected(db):
    for day in range(1, 6):
        await start(db, f"s-{day:02d}", day)
    await start(db, CURRENT, 6)

    earlier = await earlier_conversations(db, CUSTOMER, CURRENT, limit=2)

    assert [e.chat_id for e in earlier] == [chat_id("s-05"), chat_id("s-04")]


async def test_an_earlier_conversation_is_found_by_its_chat_id_among_the_customers_only(db):
    await start(db, "s-mine", 1)
    await start(db, "s-theirs", 2, customer_key="c-2")

    assert await conversation_of_customer(db, CUSTOMER, chat_id("s-mine")) == "s-mine"
    assert await conversation_of_customer(db, CUSTOMER, chat_id("s-theirs")) is None
    assert await conversation_of_customer(db, CUSTOMER, "s-mine") is None, "not by session id"


# describe_outcome on its own


@pytest.mark.parametrize(
    ("owner", "agent_id", "reference", "outcome"),
    [
        ("bot", None, "NW-1", "resolved by the assistant, reference NW-1"),
        ("closed", "tom", "NW-1", "resolved by the assistant, reference NW-1"),
        ("agent:tom", "tom", None, "with agent tom now"),
        ("queued", None, None, "waiting in the queue for a person"),
        ("bot", "maria", None, "handled by agent maria, still open"),
        ("closed", "maria", None, "handled by agent maria, closed"),
        ("bot", None, None, "with the assistant, still open"),
        ("closed", None, None, "with the assistant, closed"),
    ],
)
def test_describe_outcome(owner, agent_id, reference, outcome):
    assert describe_outcome(owner, agent_id, reference) == outcome
