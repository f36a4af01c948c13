"""A customer's conversations over time: what happened in each.

The gateway indexes every conversation it opens under the customer's key
(``customer-conversations:<key>``); whoever handles the customer next reads the
earlier ones from here (the handoff packet, the agent API). No rasa import.
"""

from __future__ import annotations

import redis.asyncio as redis

from bot import redis_keys
from bot.handoff.packet import EarlierConversation
from bot.ownership import BOT, CLOSED, QUEUED, owning_agent

EARLIER_LIMIT = 10


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


async def earlier_conversations(
    client: redis.Redis, customer_key: str, current_session_id: str, limit: int = EARLIER_LIMIT
) -> list[EarlierConversation]:
    """The customer's other conversations, newest first, with their outcomes."""
    raw_ids = await client.zrevrange(redis_keys.customer_conversations_key(customer_key), 0, limit)
    session_ids = [_text(s) for s in raw_ids if _text(s) != current_session_id][:limit]
    resolved = await _resolutions_by_session(client, customer_key)
    async with client.pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.hget(redis_keys.session_key(session_id), "created_at")
            pipe.get(redis_keys.owner_key(session_id))
            pipe.hmget(redis_keys.handoff_key(session_id), ["agent_id", "summary"])
        rows = await pipe.execute()
    earlier = []
    for index, session_id in enumerate(session_ids):
        created, owner, (agent_id, summary) = rows[index * 3 : index * 3 + 3]
        earlier.append(
            EarlierConversation(
                session_id=session_id,
                started_at=_text(created),
                outcome=describe_outcome(
                    _text(owner) or BOT, _text(agent_id) or None, resolved.get(session_id)
                ),
                summary=_text(summary) or None,
            )
        )
    return earlier


def describe_outcome(owner: str, agent_id: str | None, reference: str | None) -> str:
    """One line: how the conversation ended (or stands)."""
    if reference:
        return f"resolved by the assistant, reference {reference}"
    state = "closed" if owner == CLOSED else "still open"
    if owning_agent(owner):
        return f"with agent {owning_agent(owner)} now"
    if owner == QUEUED:
        return "waiting in the queue for a person"
    if agent_id:
        return f"handled by agent {agent_id}, {state}"
    return f"with the assistant, {state}"


async def _resolutions_by_session(client: redis.Redis, customer_key: str) -> dict[str, str]:
    references = [
        _text(r)
        for r in await client.zrange(redis_keys.customer_resolutions_key(customer_key), 0, -1)
    ]
    async with client.pipeline(transaction=False) as pipe:
        for reference in references:
            pipe.hget(redis_keys.resolution_key(reference), "session_id")
        sessions = await pipe.execute()
    return {_text(s): ref for ref, s in zip(references, sessions, strict=True) if s}
