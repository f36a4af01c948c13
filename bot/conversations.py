"""A customer's conversations over time: what happened in each.

The gateway indexes every conversation it opens under the customer's key
(``customer-conversations:<key>``); whoever handles the customer next reads the
earlier ones from here (the handoff packet, the agent API). No rasa import.
"""

from __future__ import annotations

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.handoff.packet import EarlierConversation
from bot.ownership import BOT, CLOSED, QUEUED, owning_agent
from bot.redis_keys import decoded
from bot.transcript import utc_timestamp

EARLIER_LIMIT = 10


async def earlier_conversations(
    client: redis.Redis, customer_key: str, current_session_id: str, limit: int = EARLIER_LIMIT
) -> list[EarlierConversation]:
    """The customer's other conversations, newest first, with when they started (the
    index's score: session records expire, the index does not) and their outcomes;
    named by chat id (agents read them)."""
    rows = await client.zrevrange(
        redis_keys.customer_conversations_key(customer_key), 0, limit, withscores=True
    )
    started = [(decoded(sid), at) for sid, at in rows if decoded(sid) != current_session_id]
    started = started[:limit]
    resolved = await _resolutions_by_session(client, customer_key)
    async with client.pipeline(transaction=False) as pipe:
        for session_id, _ in started:
            pipe.get(redis_keys.owner_key(session_id))
            pipe.hmget(redis_keys.handoff_key(session_id), ["agent_id", "summary"])
        stored = await pipe.execute()
    earlier = []
    for index, (session_id, at) in enumerate(started):
        owner, (agent_id, summary) = stored[index * 2 : index * 2 + 2]
        earlier.append(
            EarlierConversation(
                chat_id=chat_id(session_id),
                started_at=utc_timestamp(at),
                outcome=describe_outcome(
                    decoded(owner) or BOT, decoded(agent_id) or None, resolved.get(session_id)
                ),
                summary=decoded(summary) or None,
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
        decoded(r)
        for r in await client.zrange(redis_keys.customer_resolutions_key(customer_key), 0, -1)
    ]
    async with client.pipeline(transaction=False) as pipe:
        for reference in references:
            pipe.hget(redis_keys.resolution_key(reference), "session_id")
        sessions = await pipe.execute()
    return {decoded(s): ref for ref, s in zip(references, sessions, strict=True) if s}


async def conversation_of_customer(client: redis.Redis, customer_key: str, chat: str) -> str | None:
    """The session id of the customer's conversation with chat id ``chat`` (``None`` if
    none of theirs has it): how an agent's "earlier conversation" is found and checked."""
    members = await client.zrange(redis_keys.customer_conversations_key(customer_key), 0, -1)
    for member in members:
        session_id = decoded(member)
        if chat_id(session_id) == chat:
            return session_id
    return None
