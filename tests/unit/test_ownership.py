"""bot/ownership.py on the real test Redis: every transition, legal or not, and races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis

from bot import ownership as ownership_module
from bot import redis_keys
from bot.inbox import InboxMessage, queued_for_bot
from bot.ownership import (
    BOT,
    CLOSED,
    QUEUED,
    Ownership,
    Transition,
    agent_owner,
    owner_kind,
    owner_of,
    owning_agent,
)
from bot.transcript import QueuedWork

SESSION = "s-1"
HANDOFF = {"summary": "parcel two weeks late", "category": "late_delivery", "customer_key": "c-1"}


def resume(session_id: str = SESSION) -> QueuedWork:
    """The bot's resume work that a hand-back (or carrying on) queues."""
    return queued_for_bot(
        session_id, InboxMessage(f"{session_id}:resume", "continue", mode="resume")
    )


async def inbox(client: redis.Redis, session_id: str = SESSION) -> list[str]:
    return [item.decode() for item in await client.lrange(redis_keys.inbox_key(session_id), 0, -1)]


@pytest.fixture
async def db(client) -> redis.Redis:
    """The bytes client, on an emptied database."""
    await client.flushdb()
    return client


@pytest.fixture
def ownership(db) -> Ownership:
    return Ownership(db)


async def snapshot(client: redis.Redis) -> dict[bytes, Any]:
    """Every key in the database with its value, to prove a refused transition changed nothing."""
    state: dict[bytes, Any] = {}
    for key in sorted(await client.keys("*")):
        kind = (await client.type(key)).decode()
        if kind == "string":
            state[key] = await client.get(key)
        elif kind == "zset":
            state[key] = await client.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            state[key] = sorted(await client.smembers(key))
        elif kind == "hash":
            state[key] = await client.hgetall(key)
        else:
            state[key] = kind
    return state


async def queue_members(client: redis.Redis) -> list[str]:
    return [m.decode() for m in await client.zrange(redis_keys.HANDOFF_QUEUE, 0, -1)]


async def chats(client: redis.Redis, agent_id: str) -> set[str]:
    return {m.decode() for m in await client.smembers(redis_keys.agent_chats_key(agent_id))}


async def handoff_fields(client: redis.Redis, session_id: str) -> dict[str, str]:
    raw = await client.hgetall(redis_keys.handoff_key(session_id))
    return {k.decode(): v.decode() for k, v in raw.items()}


class FrozenClock:
    """Stands in for the ``time`` module inside bot/ownership.py."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    frozen = FrozenClock(1_700_000_000.0004)
    monkeypatch.setattr(ownership_module, "time", frozen)
    return frozen


async def put_in(ownership: Ownership, state: str, session_id: str = SESSION) -> None:
    """Bring ``session_id`` to ``state`` by legal transitions only."""
    if state == BOT:
        return
    assert (await ownership.queue(session_id, HANDOFF)).ok
    if state == QUEUED:
        return
    if state == CLOSED:
        assert (await ownership.close(session_id)).ok
        return
    assert state == "agent:maria"
    assert (await ownership.claim(session_id, "maria", 3)).ok


# Reading the owner


async def test_a_conversation_nobody_moved_belongs_to_the_bot(ownership, db):
    assert await owner_of(db, SESSION) == BOT


async def test_owner_kind_and_owning_agent_read_the_owner_string():
    assert owner_kind("bot") == "bot"
    assert owner_kind("queued") == "queued"
    assert owner_kind("closed") == "closed"
    assert owner_kind("agent:maria") == "agent"
    assert owning_agent("agent:maria") == "maria"
    assert owning_agent("queued") is None
    assert owning_agent("bot") is None
    assert agent_owner("tom") == "agent:tom"


# Legal transitions


async def test_queue_puts_the_conversation_at_the_back_with_its_handoff(ownership, db, clock):
    await put_in(ownership, QUEUED, "s-first")
    clock.now += 1

    result = await ownership.queue(SESSION, HANDOFF)

    assert result == Transition(ok=True, status="ok", owner_before=BOT)
    assert await owner_of(db, SESSION) == QUEUED
    assert await queue_members(db) == ["s-first", SESSION]
    assert await handoff_fields(db, SESSION) == HANDOFF


async def test_queue_replaces_the_previous_handoff_of_the_conversation(ownership, db):
    await put_in(ownership, "agent:maria")
    assert (await ownership.hand_back(SESSION, "maria", resume(SESSION))).ok

    assert (await ownership.queue(SESSION, {"summary": "second time"})).ok

    assert await handoff_fields(db, SESSION) == {"summary": "second time"}


async def test_claim_gives_a_queued_conversation_to_the_agent(ownership, db):
    await put_in(ownership, QUEUED)

    result = await ownership.claim(SESSION, "maria", 3)

    assert result == Transition(ok=True, status="ok", owner_before=QUEUED)
    assert await owner_of(db, SESSION) == "agent:maria"
    assert await queue_members(db) == []
    assert await chats(db, "maria") == {SESSION}
    fields = await handoff_fields(db, SESSION)
    assert fields["agent_id"] == "maria"
    assert float(fields["claimed_at"]) > 0
    assert fields["summary"] == HANDOFF["summary"]


async def test_claim_with_room_left_for_one_more_succeeds(ownership, db):
    for n in range(2):
        await put_in(ownership, "agent:maria", f"s-held-{n}")
    await put_in(ownership, QUEUED)

    assert (await ownership.claim(SESSION, "maria", 3)).ok
    assert await chats(db, "maria") == {"s-held-0", "s-held-1", SESSION}


async def test_transfer_moves_the_chat_between_the_agents_sets(ownership, db):
    await put_in(ownership, "agent:maria")

    result = await ownership.transfer(SESSION, "maria", "tom", 3)

    assert result == Transition(ok=True, status="ok", owner_before="agent:maria")
    assert await owner_of(db, SESSION) == "agent:tom"
    assert await chats(db, "maria") == set()
    assert await chats(db, "tom") == {SESSION}
    fields = await handoff_fields(db, SESSION)
    assert fields["agent_id"] == "tom"
    assert "transferred_at" in fields


async def test_hand_back_returns_the_conversation_to_the_bot(ownership, db):
    await put_in(ownership, QUEUED, "s-waiting")
    await put_in(ownership, "agent:maria")

    result = await ownership.hand_back(SESSION, "maria", resume(SESSION))

    assert result == Transition(ok=True, status="ok", owner_before="agent:maria")
    assert await owner_of(db, SESSION) == BOT
    assert await chats(db, "maria") == set()
    assert await queue_members(db) == ["s-waiting"]
    # The bot's resume is queued in the same step: nothing recorded later comes first.
    assert await inbox(db) == [resume().payload]
    assert await db.zscore(redis_keys.INBOX_PENDING, SESSION) is not None


async def test_a_handed_back_conversation_can_be_queued_again(ownership, db):
    await put_in(ownership, "agent:maria")
    assert (await ownership.hand_back(SESSION, "maria", resume(SESSION))).ok

    assert (await ownership.queue(SESSION, HANDOFF)).ok
    assert await owner_of(db, SESSION) == QUEUED
    assert await queue_members(db) == [SESSION]


async def test_requeue_puts_the_conversation_at_the_front_below_the_lowest_score(ownership, db):
    await put_in(ownership, "agent:maria")
    for name in ("s-a", "s-b", "s-c"):
        await put_in(ownership, QUEUED, name)
    lowest_before = min(
        score for _, score in await db.zrange(redis_keys.HANDOFF_QUEUE, 0, -1, withscores=True)
    )

    result = await ownership.requeue(SESSION, "maria")

    assert result == Transition(ok=True, status="ok", owner_before="agent:maria")
    assert await owner_of(db, SESSION) == QUEUED
    assert await queue_members(db) == [SESSION, "s-a", "s-b", "s-c"]
    assert await db.zscore(redis_keys.HANDOFF_QUEUE, SESSION) < lowest_before
    assert await chats(db, "maria") == set()


async def test_requeue_clears_the_agent_and_keeps_the_rest_of_the_handoff(ownership, db):
    await put_in(ownership, "agent:maria")

    assert (await ownership.requeue(SESSION, "maria")).ok

    fields = await handoff_fields(db, SESSION)
    assert "agent_id" not in fields
    assert "claimed_at" not in fields
    assert fields["requeued_from"] == "maria"
    assert float(fields["requeued_at"]) > 0
    assert fields["summary"] == HANDOFF["summary"]


async def test_a_requeued_conversation_in_an_empty_queue_stays_ahead_of_later_ones(
    ownership, db, clock
):
    await put_in(ownership, "agent:maria")
    assert (await ownership.requeue(SESSION, "maria")).ok

    clock.now += 1
    await put_in(ownership, QUEUED, "s-later")

    assert await queue_members(db) == [SESSION, "s-later"]


async def test_a_conversation_queued_in_the_same_millisecond_stays_behind_a_requeued_one(
    ownership, db, clock
):
    await put_in(ownership, "agent:maria")
    assert (await ownership.requeue(SESSION, "maria")).ok

    await put_in(ownership, QUEUED, "s-later")

    assert await queue_members(db) == [SESSION, "s-later"]


async def test_a_requeued_conversation_can_be_claimed_by_someone_else(ownership, db):
    await put_in(ownership, "agent:maria")
    assert (await ownership.requeue(SESSION, "maria")).ok

    assert (await ownership.claim(SESSION, "tom", 3)).ok
    assert await owner_of(db, SESSION) == "agent:tom"
    assert (await handoff_fields(db, SESSION))["agent_id"] == "tom"


async def test_carry_on_with_bot_takes_the_conversation_out_of_the_queue(ownership, db):
    await put_in(ownership, QUEUED, "s-other")
    await put_in(ownership, QUEUED)

    result = await ownership.carry_on_with_bot(SESSION, resume())

    assert result == Transition(ok=True, status="ok", owner_before=QUEUED)
    assert await owner_of(db, SESSION) == BOT
    assert await queue_members(db) == ["s-other"]
    assert await inbox(db) == [resume().payload]


async def test_close_from_the_bot(ownership, db):
    result = await ownership.close(SESSION)

    assert result == Transition(ok=True, status="ok", owner_before=BOT)
    assert await owner_of(db, SESSION) == CLOSED


async def test_close_from_the_queue_takes_it_out_of_the_queue(ownership, db):
    await put_in(ownership, QUEUED, "s-other")
    await put_in(ownership, QUEUED)

    result = await ownership.close(SESSION)

    assert result == Transition(ok=True, status="ok", owner_before=QUEUED)
    assert await owner_of(db, SESSION) == CLOSED
    assert await queue_members(db) == ["s-other"]


@pytest.mark.parametrize("by_agent", [None, "maria"])
async def test_close_from_an_agent_frees_their_seat(ownership, db, by_agent):
    await put_in(ownership, "agent:maria", "s-other")
    await put_in(ownership, "agent:maria")

    result = await ownership.close(SESSION, by_agent=by_agent)

    assert result == Transition(ok=True, status="ok", owner_before="agent:maria")
    assert await owner_of(db, SESSION) == CLOSED
    assert await chats(db, "maria") == {"s-other"}
    assert await queue_members(db) == []


# Illegal transitions: refused with the reason and the owner, and nothing changes


def _queue(o: Ownership) -> Awaitable[Transition]:
    return o.queue(SESSION, {"summary": "a second request"})


def _claim(o: Ownership) -> Awaitable[Transition]:
    return o.claim(SESSION, "tom", 3)


def _transfer(o: Ownership) -> Awaitable[Transition]:
    return o.transfer(SESSION, "maria", "tom", 3)


def _transfer_by_other(o: Ownership) -> Awaitable[Transition]:
    return o.transfer(SESSION, "tom", "priya", 3)


def _hand_back(o: Ownership) -> Awaitable[Transition]:
    return o.hand_back(SESSION, "maria", resume(SESSION))


def _hand_back_by_other(o: Ownership) -> Awaitable[Transition]:
    return o.hand_back(SESSION, "tom", resume(SESSION))


def _requeue(o: Ownership) -> Awaitable[Transition]:
    return o.requeue(SESSION, "maria")


def _requeue_by_other(o: Ownership) -> Awaitable[Transition]:
    return o.requeue(SESSION, "tom")


def _carry_on(o: Ownership) -> Awaitable[Transition]:
    return o.carry_on_with_bot(SESSION, resume())


def _close(o: Ownership) -> Awaitable[Transition]:
    return o.close(SESSION)


def _close_by_other(o: Ownership) -> Awaitable[Transition]:
    return o.close(SESSION, by_agent="tom")


ILLEGAL: list[tuple[str, Callable[[Ownership], Awaitable[Transition]], str]] = [
    # queue: only from the bot
    (QUEUED, _queue, "not_bot"),
    ("agent:maria", _queue, "not_bot"),
    (CLOSED, _queue, "not_bot"),
    # claim: only from the queue
    (BOT, _claim, "not_queued"),
    ("agent:maria", _claim, "not_queued"),
    (CLOSED, _claim, "not_queued"),
    # transfer, hand back, requeue: only by the owning agent
    (BOT, _transfer, "not_owner"),
    (QUEUED, _transfer, "not_owner"),
    (CLOSED, _transfer, "not_owner"),
    ("agent:maria", _transfer_by_other, "not_owner"),
    (BOT, _hand_back, "not_owner"),
    (QUEUED, _hand_back, "not_owner"),
    (CLOSED, _hand_back, "not_owner"),
    ("agent:maria", _hand_back_by_other, "not_owner"),
    (BOT, _requeue, "not_owner"),
    (QUEUED, _requeue, "not_owner"),
    (CLOSED, _requeue, "not_owner"),
    ("agent:maria", _requeue_by_other, "not_owner"),
    # carry on with the bot: only from the queue
    (BOT, _carry_on, "not_queued"),
    ("agent:maria", _carry_on, "not_queued"),
    (CLOSED, _carry_on, "not_queued"),
    # close: never twice; an agent closes only their own chats
    (CLOSED, _close, "already_closed"),
    (CLOSED, _close_by_other, "already_closed"),
    (BOT, _close_by_other, "not_owner"),
    (QUEUED, _close_by_other, "not_owner"),
    ("agent:maria", _close_by_other, "not_owner"),
]


@pytest.mark.parametrize(
    ("state", "move", "status"),
    ILLEGAL,
    ids=[f"{state}-{move.__name__.strip('_')}" for state, move, _ in ILLEGAL],
)
async def test_an_illegal_transition_is_refused_and_changes_nothing(
    ownership, db, state, move, status
):
    await put_in(ownership, QUEUED, "s-bystander")
    await put_in(ownership, state)
    before = await snapshot(db)

    result = await move(ownership)

    assert result == Transition(ok=False, status=status, owner_before=state)
    assert await snapshot(db) == before


async def test_queueing_twice_is_refused_and_never_queues_twice(ownership, db):
    assert (await ownership.queue(SESSION, HANDOFF)).ok

    second = await ownership.queue(SESSION, {"summary": "again"})

    assert second == Transition(ok=False, status="not_bot", owner_before=QUEUED)
    assert await queue_members(db) == [SESSION]
    assert await handoff_fields(db, SESSION) == HANDOFF


async def test_claim_at_capacity_is_refused(ownership, db):
    for n in range(2):
        await put_in(ownership, "agent:maria", f"s-held-{n}")
    await put_in(ownership, QUEUED)
    before = await snapshot(db)

    result = await ownership.claim(SESSION, "maria", 2)

    assert result == Transition(ok=False, status="at_capacity", owner_before=QUEUED)
    assert await snapshot(db) == before


async def test_transfer_to_oneself_is_refused(ownership, db):
    await put_in(ownership, "agent:maria")
    before = await snapshot(db)

    result = await ownership.transfer(SESSION, "maria", "maria", 3)

    assert result == Transition(ok=False, status="same_agent", owner_before="agent:maria")
    assert await snapshot(db) == before


async def test_transfer_to_an_agent_at_capacity_is_refused(ownership, db):
    await put_in(ownership, "agent:maria")
    for n in range(2):
        await put_in(ownership, QUEUED, f"s-tom-{n}")
        assert (await ownership.claim(f"s-tom-{n}", "tom", 2)).ok
    before = await snapshot(db)

    result = await ownership.transfer(SESSION, "maria", "tom", 2)

    assert result == Transition(ok=False, status="at_capacity", owner_before="agent:maria")
    assert await snapshot(db) == before


async def test_transfer_to_an_agent_with_one_seat_left_succeeds(ownership, db):
    await put_in(ownership, "agent:maria")
    await put_in(ownership, QUEUED, "s-tom")
    assert (await ownership.claim("s-tom", "tom", 2)).ok

    assert (await ownership.transfer(SESSION, "maria", "tom", 2)).ok
    assert await chats(db, "tom") == {"s-tom", SESSION}


# Races between processes


@pytest.fixture
async def many_clients(redis_url: str) -> AsyncIterator[list[redis.Redis]]:
    """A hundred clients, each with its own connection, as if a hundred processes."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(100)]
    await asyncio.gather(*(c.ping() for c in clients))
    yield clients
    await asyncio.gather(*(c.close() for c in clients))


async def test_of_a_hundred_concurrent_claims_exactly_one_wins(ownership, db, many_clients):
    await put_in(ownership, QUEUED)

    results = await asyncio.gather(
        *(Ownership(c).claim(SESSION, f"agent-{n}", 3) for n, c in enumerate(many_clients))
    )

    winners = [f"agent-{n}" for n, result in enumerate(results) if result.ok]
    assert len(winners) == 1
    winner = winners[0]
    losers = [result for result in results if not result.ok]
    assert {(r.status, r.owner_before) for r in losers} == {("not_queued", f"agent:{winner}")}
    assert await owner_of(db, SESSION) == f"agent:{winner}"
    assert await queue_members(db) == []
    assert await db.keys(f"{redis_keys.AGENT_CHATS_PREFIX}*") == [
        redis_keys.agent_chats_key(winner).encode()
    ]
    assert await chats(db, winner) == {SESSION}
    assert (await handoff_fields(db, SESSION))["agent_id"] == winner


async def test_of_fifty_concurrent_queue_requests_exactly_one_is_queued(db, many_clients):
    results = await asyncio.gather(
        *(Ownership(c).queue(SESSION, {"attempt": str(n)}) for n, c in enumerate(many_clients[:50]))
    )

    winners = [n for n, result in enumerate(results) if result.ok]
    assert len(winners) == 1
    assert {(r.status, r.owner_before) for r in results if not r.ok} == {("not_bot", QUEUED)}
    assert await queue_members(db) == [SESSION]
    assert await handoff_fields(db, SESSION) == {"attempt": str(winners[0])}
