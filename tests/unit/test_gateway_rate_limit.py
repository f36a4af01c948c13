"""bot/gateway/rate_limit.py: N messages per S seconds per conversation, sliding."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from bot.gateway.rate_limit import ConversationRateLimit, LocalWindow, SlidingWindows, Window
from bot.gateway.settings import RateLimit


@pytest.fixture
def session_id() -> str:
    return f"rate-{secrets.token_hex(6)}"


async def test_messages_over_the_limit_are_refused_with_the_wait(client, session_id):
    limit = ConversationRateLimit(client, RateLimit(messages=3, per_seconds=2))

    accepted = [await limit.take(session_id) for _ in range(3)]
    refused = await limit.take(session_id)

    assert accepted == [0, 0, 0]
    assert 1_000 < refused <= 2_000


async def test_a_refused_message_does_not_count(client, session_id):
    limit = ConversationRateLimit(client, RateLimit(messages=1, per_seconds=1))
    assert await limit.take(session_id) == 0
    waits = [await limit.take(session_id) for _ in range(5)]
    assert all(wait > 0 for wait in waits)

    await asyncio.sleep(max(waits[-1], 1) / 1000 + 0.05)

    assert await limit.take(session_id) == 0


async def test_the_window_slides_so_a_boundary_lets_no_burst_through(client, session_id):
    limit = ConversationRateLimit(client, RateLimit(messages=2, per_seconds=1))
    assert await limit.take(session_id) == 0
    await asyncio.sleep(0.6)
    assert await limit.take(session_id) == 0
    await asyncio.sleep(0.5)  # the first has left the window, the second has not
    assert await limit.take(session_id) == 0
    assert await limit.take(session_id) > 0


async def test_conversations_are_limited_separately(client, session_id):
    limit = ConversationRateLimit(client, RateLimit(messages=1, per_seconds=5))
    assert await limit.take(session_id) == 0
    assert await limit.take(session_id) > 0
    assert await limit.take(f"{session_id}-other") == 0


async def test_parallel_requests_cannot_slip_past_the_limit(client, session_id):
    """The check and the count are one Lua script: 200 racing takes, exactly 5 pass."""
    windows = SlidingWindows(client)
    window = [Window(f"rate:test:ip:{session_id}", RateLimit(messages=5, per_seconds=60))]

    results = await asyncio.gather(*(windows.take(window) for _ in range(200)))

    assert results.count(0) == 5


async def test_an_event_is_taken_only_if_every_window_has_room(client, session_id):
    windows = SlidingWindows(client)
    conversation = Window(f"rate:test:conversation:{session_id}", RateLimit(10, 60))
    address = Window(f"rate:test:ip:{session_id}", RateLimit(2, 60))

    results = [await windows.take([conversation, address]) for _ in range(4)]

    assert results[:2] == [0, 0] and all(wait > 0 for wait in results[2:])
    # Refused by the address, the events did not use the conversation's room.
    assert await client.zcard(conversation.key) == 2


async def test_new_conversations_do_not_escape_the_per_ip_message_limit(client, session_id):
    limit = ConversationRateLimit(client, RateLimit(3, 60), per_ip=RateLimit(4, 60))
    address = f"198.51.100.{secrets.randbelow(250)}-{session_id}"

    taken = [await limit.take(f"{session_id}-{n}", address) for n in range(6)]

    assert taken[:4] == [0, 0, 0, 0]
    assert all(wait > 0 for wait in taken[4:])


async def test_every_window_expires(client, session_id):
    windows = SlidingWindows(client)
    await windows.take([Window(f"rate:test:ip:{session_id}", RateLimit(5, 30))])

    assert 0 < await client.pttl(f"rate:test:ip:{session_id}") <= 30_000


def test_a_connections_own_window_slides_in_memory():
    window = LocalWindow(RateLimit(messages=2, per_seconds=10))

    assert [window.take(now=100.0), window.take(now=101.0)] == [0, 0]
    assert 8_000 < window.take(now=102.0) <= 9_001
    assert window.take(now=110.5) == 0  # the first has left the window
    assert window.take(now=110.6) > 0
