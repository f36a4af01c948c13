"""Who owns a conversation: the bot, the queue, a named agent, or nobody (closed).

The gateway asks this for every visitor message: while the bot owns the
conversation the message goes to Rasa, otherwise it is relayed to people. The
transitions (queueing, claiming, transfer, hand-back) are the handoff's business;
until a conversation has an owner record, the bot owns it. No rasa import.
"""

from __future__ import annotations

from typing import Literal

import redis.asyncio as redis

from bot import redis_keys

OwnerKind = Literal["bot", "queued", "agent", "closed"]

BOT = "bot"
CLOSED = "closed"


def owner_kind(owner: str) -> OwnerKind:
    """``agent:<id>`` → ``agent``; the other owners are their own kind."""
    if owner.startswith("agent:"):
        return "agent"
    if owner in ("queued", CLOSED):
        return owner  # type: ignore[return-value]
    return "bot"


async def owner_of(client: redis.Redis, session_id: str) -> str:
    value = await client.get(redis_keys.owner_key(session_id))
    return value.decode() if value else BOT


async def close_conversation(client: redis.Redis, session_id: str) -> None:
    await client.set(redis_keys.owner_key(session_id), CLOSED)
