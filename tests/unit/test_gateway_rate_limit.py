"""bot/gateway/rate_limit.py: N messages per S seconds per conversation, sliding."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from bot.gateway.rate_limit import ConversationRateLimit
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
