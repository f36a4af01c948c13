"""bot/handoff/flood.py: one source (client IP or customer) cannot fill the agents' queue;
the flood is shown to agents as such. Real Redis, real ownership transitions."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from bot import redis_keys
from bot.gateway.sessions import SessionSigner, SessionStore, VerifiedUser
from bot.handoff.flood import FloodCaps, HandoffFloodGuard, HeldBack
from bot.handoff.queue import HandoffQueue
from bot.ownership import Ownership

CAPS = FloodCaps(per_ip=3, per_customer=2)


@pytest.fixture
async def flushed(client):
    await client.flushdb()
    return client


SIGNER = SessionSigner("unit-test-session-secret-0123")


@pytest.fixture
def sessions(flushed) -> SessionStore:
    """Sessions as a gateway with these caps opens them (it records the caps)."""
    return SessionStore(flushed, SIGNER, CAPS)


def an_ip() -> str:
    return f"198.51.100.{secrets.randbelow(250) + 1}"


async def ask_for_a_person(guard: HandoffFloodGuard, client, session) -> HeldBack | None:
    """What the handoff action does: reserve, then (if not held back) queue."""
    held = await guard.reserve(session.session_id, session.customer_key)
    if held is None:
        fields = {"customer_key": session.customer_key, "summary": "", "queued_ts": "0"}
        assert (await Ownership(client).queue(session.session_id, fields)).ok
    return held


async def test_anonymous_conversations_from_one_ip_cannot_fill_the_queue(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    address = an_ip()
    conversations = [await sessions.create(None, address) for _ in range(6)]

    results = [await ask_for_a_person(guard, flushed, c) for c in conversations]

    assert results[:3] == [None, None, None]
    assert results[3:] == [
        HeldBack("ip", open_requests=3, held_back=1),
        HeldBack("ip", open_requests=3, held_back=2),
        HeldBack("ip", open_requests=3, held_back=3),
    ]
    entries = await HandoffQueue(flushed).entries()
    assert [entry.session_id for entry in entries] == [c.session_id for c in conversations[:3]]
    assert all(entry.flood_held_back == 3 for entry in entries)  # shown as a flood


async def test_other_addresses_are_not_held_back_by_a_flood(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    flood = an_ip()
    for _ in range(4):
        await ask_for_a_person(guard, flushed, await sessions.create(None, flood))

    honest = await sessions.create(None, "203.0.113.50")

    assert await ask_for_a_person(guard, flushed, honest) is None
    entry = next(
        e for e in await HandoffQueue(flushed).entries() if e.session_id == honest.session_id
    )
    assert entry.flood_held_back == 0


async def test_parallel_requests_cannot_slip_past_the_cap(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    address = an_ip()
    conversations = [await sessions.create(None, address) for _ in range(25)]

    results = await asyncio.gather(
        *(guard.reserve(c.session_id, c.customer_key) for c in conversations)
    )

    assert results.count(None) == CAPS.per_ip


async def test_a_verified_customer_is_capped_across_addresses(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    user = VerifiedUser(f"u-{secrets.token_hex(4)}")
    conversations = [await sessions.create(user, f"203.0.113.{n + 1}") for n in range(3)]

    results = [await ask_for_a_person(guard, flushed, c) for c in conversations]

    assert results[:2] == [None, None]
    assert results[2] is not None and results[2].source == "customer"


async def test_a_request_a_person_took_no_longer_counts(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    address = an_ip()
    first, *others = [await sessions.create(None, address) for _ in range(4)]
    for conversation in [first, *others[:2]]:
        assert await ask_for_a_person(guard, flushed, conversation) is None
    assert await guard.reserve(others[2].session_id, others[2].customer_key) is not None

    # A person takes the first chat (it leaves the queue) and the grace has passed.
    await flushed.zrem(redis_keys.HANDOFF_QUEUE, first.session_id)
    await flushed.zadd(redis_keys.handoff_open_key("ip", address), {first.session_id: 1})

    assert await guard.reserve(others[2].session_id, others[2].customer_key) is None


async def test_asking_again_in_a_queued_conversation_is_not_a_new_request(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    sessions = SessionStore(flushed, SIGNER, FloodCaps(per_ip=1, per_customer=1))
    conversation = await sessions.create(None, an_ip())
    assert await ask_for_a_person(guard, flushed, conversation) is None

    assert await guard.reserve(conversation.session_id, conversation.customer_key) is None


async def test_every_key_the_guard_writes_expires(flushed, sessions):
    guard = HandoffFloodGuard(flushed)
    sessions = SessionStore(flushed, SIGNER, FloodCaps(per_ip=1, per_customer=5))
    address = an_ip()
    for _ in range(2):
        await ask_for_a_person(guard, flushed, await sessions.create(None, address))

    keys = [key async for key in flushed.scan_iter(f"{redis_keys.HANDOFF_OPEN_PREFIX}*")]
    keys += [key async for key in flushed.scan_iter(f"{redis_keys.HANDOFF_HELD_BACK_PREFIX}*")]
    assert keys and all([await flushed.ttl(key) > 0 for key in keys])


async def test_a_session_recorded_without_caps_gets_the_defaults(flushed):
    guard = HandoffFloodGuard(flushed)
    address = an_ip()
    for number in range(FloodCaps().per_ip + 1):
        await flushed.hset(f"session:old-{number}", "client_ip", address)

    results = [
        await guard.reserve(f"old-{number}", f"visitor:old-{number}")
        for number in range(FloodCaps().per_ip + 1)
    ]

    assert results.count(None) == FloodCaps().per_ip


def test_recorded_caps_are_read_back_and_nonsense_falls_back_to_the_defaults():
    caps = FloodCaps(per_ip=7, per_customer=1)
    assert FloodCaps.from_session_fields(list(caps.session_fields().values())) == caps
    assert FloodCaps.from_session_fields(["", "x"]) == FloodCaps()
