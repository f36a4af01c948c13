"""Who owns a conversation: the bot, the queue, a named agent, or nobody (closed).

The gateway asks this for every visitor message: while the bot owns the
conversation the message goes to Rasa, otherwise it is relayed to people.

Owners and the transitions between them (each one Lua script, so two agents
never both win a claim and a chat is never queued twice)::

    bot ──queue──▶ queued ──claim──▶ agent:<a> ──hand_back──▶ bot
                   queued ──carry_on──▶ bot
                   agent:<a> ──transfer──▶ agent:<b>
                   agent:<a> ──requeue──▶ queued (front of the queue)
                   queued (reserved for <a>) ──lapse_reservation──▶ queued (anyone)
    any but closed ──close──▶ closed

A script keeps the queue (``handoff-queue``) and each agent's set of chats
(``agent-chats:<id>``) in step with ``owner:<session>``. No rasa import: the
gateway and the action server both use this.

**Reservations: a name is a promise.** When routing chose an agent, the chat is
queued *reserved* for them: ``handoff:<session>`` holds ``routed_to`` and
``reserved_until`` (Unix time; the window is ``HANDOFF_RESERVATION_SECONDS``, 90 s
by default, bot/handoff/reservation.py). Until then the claim script refuses every
other agent (``reserved``), in the same atomic step that checks the owner, so the
customer who was told "Tom will join you" gets Tom or, once the window lapsed,
hears so. The lapse is itself a transition (``lapse_reservation``: still queued,
still reserved for that agent, window over or agent gone → ``routed_to`` and
``reserved_until`` cleared, ``lapsed_from`` kept); only its winner tells the
customer the chat is open to the next free colleague. A reservation never outlives
the queue: requeue clears it, and a claim by the reserved agent ends it.

This fits the existing scripts better than naming the agent only once assigned:
the promise, its holder and its deadline live in the hash the claim script
already reads, so no second key can disagree with the owner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as redis

from bot import redis_keys
from bot.redis_keys import decoded
from bot.transcript import QueuedWork

OwnerKind = Literal["bot", "queued", "agent", "closed"]

BOT = "bot"
QUEUED = "queued"
CLOSED = "closed"
AGENT_PREFIX = "agent:"


def owner_kind(owner: str) -> OwnerKind:
    """``agent:<id>`` → ``agent``; the other owners are their own kind."""
    if owner.startswith(AGENT_PREFIX):
        return "agent"
    if owner in (QUEUED, CLOSED):
        return owner  # type: ignore[return-value]
    return "bot"


def agent_owner(agent_id: str) -> str:
    return f"{AGENT_PREFIX}{agent_id}"


def owning_agent(owner: str) -> str | None:
    """The agent id of ``agent:<id>``, else ``None``."""
    return owner[len(AGENT_PREFIX) :] if owner.startswith(AGENT_PREFIX) else None


async def owner_of(client: redis.Redis, session_id: str) -> str:
    value = await client.get(redis_keys.owner_key(session_id))
    if value is None:
        return BOT
    return value.decode() if isinstance(value, bytes) else str(value)


# Every script returns {status, owner before}. status "ok" or why not.
_CURRENT = """
local before = redis.call('GET', KEYS[1]) or 'bot'
"""

# KEYS: owner, queue, handoff, order counter. ARGV: session, then field/value pairs for
# handoff. Queue scores come from a counter: first come, first served, even
# within one millisecond.
_QUEUE = (
    _CURRENT
    + """
if before ~= 'bot' then return {'not_bot', before} end
redis.call('SET', KEYS[1], 'queued')
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
redis.call('DEL', KEYS[3])
if #ARGV > 1 then redis.call('HSET', KEYS[3], unpack(ARGV, 2)) end
return {'ok', before}
"""
)

# KEYS: owner, queue, handoff, agent's chats. ARGV: session, agent id, max chats, now.
# While reserved for another agent (routed_to, reserved_until in the future) only they
# may claim it.
_CLAIM = (
    _CURRENT
    + """
if before ~= 'queued' then return {'not_queued', before} end
local reserved = redis.call('HMGET', KEYS[3], 'routed_to', 'reserved_until')
local deadline = tonumber(reserved[2] or '0') or 0
local other = reserved[1] and reserved[1] ~= '' and reserved[1] ~= ARGV[2]
if other and tonumber(ARGV[4]) < deadline then
  return {'reserved', before}
end
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[3]) then return {'at_capacity', before} end
redis.call('SET', KEYS[1], 'agent:' .. ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[3], 'agent_id', ARGV[2], 'claimed_at', ARGV[4])
redis.call('HDEL', KEYS[3], 'reserved_until')
return {'ok', before}
"""
)

# KEYS: owner, from's chats, to's chats, handoff. ARGV: session, from, to, to's max, now.
_TRANSFER = (
    _CURRENT
    + """
if before ~= 'agent:' .. ARGV[2] then return {'not_owner', before} end
if ARGV[2] == ARGV[3] then return {'same_agent', before} end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return {'at_capacity', before} end
redis.call('SET', KEYS[1], 'agent:' .. ARGV[3])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], 'agent_id', ARGV[3], 'transferred_at', ARGV[5])
return {'ok', before}
"""
)

# Work for the bot queued in the same step as handing the conversation back to it, so
# every visitor message recorded after the hand-back comes after the resume in the inbox.
# KEYS[3], KEYS[4]: inbox, inbox pending; the last two ARGV: the work, now.
_QUEUE_RESUME = """
redis.call('RPUSH', KEYS[3], ARGV[#ARGV - 1])
redis.call('ZADD', KEYS[4], 'NX', ARGV[#ARGV], ARGV[1])
"""

# KEYS: owner, agent's chats, inbox, inbox pending. ARGV: session, agent id, resume
# work, now.
_HAND_BACK = (
    _CURRENT
    + """
if before ~= 'agent:' .. ARGV[2] then return {'not_owner', before} end
redis.call('SET', KEYS[1], 'bot')
redis.call('SREM', KEYS[2], ARGV[1])
"""
    + _QUEUE_RESUME
    + """
return {'ok', before}
"""
)

# KEYS: owner, queue, agent's chats, handoff. ARGV: session, agent id, now.
# Back to the front: one below the lowest score in the queue (the wait counts anew, and
# the routing promise to the agent who left is void).
_REQUEUE = (
    _CURRENT
    + """
if before ~= 'agent:' .. ARGV[2] then return {'not_owner', before} end
local front = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local score = 0
if front[2] then score = tonumber(front[2]) - 1 end
redis.call('SET', KEYS[1], 'queued')
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('HSET', KEYS[4], 'requeued_from', ARGV[2], 'requeued_at', ARGV[3], 'queued_ts', ARGV[3])
redis.call('HDEL', KEYS[4], 'agent_id', 'claimed_at', 'routed_to', 'routing_reason',
  'reserved_until')
return {'ok', before}
"""
)

# KEYS: owner, queue, inbox, inbox pending. ARGV: session, resume work, now.
_CARRY_ON = (
    _CURRENT
    + """
if before ~= 'queued' then return {'not_queued', before} end
redis.call('SET', KEYS[1], 'bot')
redis.call('ZREM', KEYS[2], ARGV[1])
"""
    + _QUEUE_RESUME
    + """
return {'ok', before}
"""
)

# KEYS: owner, handoff. ARGV: agent id, now, '1' to lapse before the deadline (the agent
# is gone). Ends the reservation for that agent, once.
_LAPSE = (
    _CURRENT
    + """
if before ~= 'queued' then return {'not_queued', before} end
local reserved = redis.call('HMGET', KEYS[2], 'routed_to', 'reserved_until')
if reserved[1] ~= ARGV[1] or not reserved[2] then return {'not_reserved', before} end
if ARGV[3] ~= '1' and tonumber(ARGV[2]) < tonumber(reserved[2]) then
  return {'not_yet', before}
end
redis.call('HDEL', KEYS[2], 'routed_to', 'reserved_until', 'routing_reason')
redis.call('HSET', KEYS[2], 'lapsed_from', ARGV[1], 'lapsed_at', ARGV[2])
return {'ok', before}
"""
)

# KEYS: owner, queue. ARGV: session, agent-chats prefix, required owner ('' = any).
_CLOSE = (
    _CURRENT
    + """
if before == 'closed' then return {'already_closed', before} end
if ARGV[3] ~= '' and before ~= ARGV[3] then return {'not_owner', before} end
redis.call('SET', KEYS[1], 'closed')
redis.call('ZREM', KEYS[2], ARGV[1])
if string.sub(before, 1, 6) == 'agent:' then
  redis.call('SREM', ARGV[2] .. string.sub(before, 7), ARGV[1])
end
return {'ok', before}
"""
)


@dataclass(frozen=True)
class Transition:
    """The outcome of a transition: whether it happened, and who owned the chat before."""

    ok: bool
    status: str
    """``ok``, or why not: ``not_bot``, ``not_queued``, ``not_owner``, ``at_capacity``…"""
    owner_before: str


class Ownership:
    """Makes the ownership transitions of all conversations."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._queue = client.register_script(_QUEUE)
        self._claim = client.register_script(_CLAIM)
        self._transfer = client.register_script(_TRANSFER)
        self._hand_back = client.register_script(_HAND_BACK)
        self._requeue = client.register_script(_REQUEUE)
        self._carry_on = client.register_script(_CARRY_ON)
        self._close = client.register_script(_CLOSE)
        self._lapse = client.register_script(_LAPSE)

    @staticmethod
    def _result(raw: list[bytes | str]) -> Transition:
        status, before = (decoded(value) for value in raw)
        return Transition(ok=status == "ok", status=status, owner_before=before)

    async def queue(self, session_id: str, handoff: dict[str, str]) -> Transition:
        """bot → queued, at the back of the queue; ``handoff`` replaces the stored handoff."""
        fields = [item for pair in handoff.items() for item in pair]
        raw = await self._queue(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.HANDOFF_QUEUE,
                redis_keys.handoff_key(session_id),
                redis_keys.HANDOFF_QUEUE_ORDER,
            ],
            args=[session_id, *fields],
        )
        return self._result(raw)

    async def claim(self, session_id: str, agent_id: str, max_chats: int) -> Transition:
        """queued → agent:<agent_id>, if the agent has room for another chat."""
        raw = await self._claim(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.HANDOFF_QUEUE,
                redis_keys.handoff_key(session_id),
                redis_keys.agent_chats_key(agent_id),
            ],
            args=[session_id, agent_id, max_chats, time.time()],
        )
        return self._result(raw)

    async def transfer(
        self, session_id: str, from_agent: str, to_agent: str, to_max_chats: int
    ) -> Transition:
        """agent:<from> → agent:<to>, if ``to`` has room."""
        raw = await self._transfer(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.agent_chats_key(from_agent),
                redis_keys.agent_chats_key(to_agent),
                redis_keys.handoff_key(session_id),
            ],
            args=[session_id, from_agent, to_agent, to_max_chats, time.time()],
        )
        return self._result(raw)

    async def hand_back(self, session_id: str, agent_id: str, resume: QueuedWork) -> Transition:
        """agent:<agent_id> → bot, queueing ``resume`` (the bot's first work) with it."""
        raw = await self._hand_back(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.agent_chats_key(agent_id),
                resume.list_key,
                resume.pending_key,
            ],
            args=[session_id, agent_id, resume.payload, time.time()],
        )
        return self._result(raw)

    async def requeue(self, session_id: str, agent_id: str) -> Transition:
        """agent:<agent_id> → queued, at the front (the agent went away)."""
        raw = await self._requeue(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.HANDOFF_QUEUE,
                redis_keys.agent_chats_key(agent_id),
                redis_keys.handoff_key(session_id),
            ],
            args=[session_id, agent_id, time.time()],
        )
        return self._result(raw)

    async def carry_on_with_bot(self, session_id: str, resume: QueuedWork) -> Transition:
        """queued → bot (the customer would rather carry on with the bot than wait),
        queueing ``resume`` with it."""
        raw = await self._carry_on(
            keys=[
                redis_keys.owner_key(session_id),
                redis_keys.HANDOFF_QUEUE,
                resume.list_key,
                resume.pending_key,
            ],
            args=[session_id, resume.payload, time.time()],
        )
        return self._result(raw)

    async def lapse_reservation(
        self, session_id: str, agent_id: str, agent_gone: bool = False
    ) -> Transition:
        """queued, reserved for ``agent_id`` → queued, open to anyone: the window is over
        (or, with ``agent_gone``, the agent can no longer take it)."""
        raw = await self._lapse(
            keys=[redis_keys.owner_key(session_id), redis_keys.handoff_key(session_id)],
            args=[agent_id, time.time(), "1" if agent_gone else ""],
        )
        return self._result(raw)

    async def close(self, session_id: str, by_agent: str | None = None) -> Transition:
        """Any owner but closed → closed (``by_agent``: only if that agent owns it)."""
        raw = await self._close(
            keys=[redis_keys.owner_key(session_id), redis_keys.HANDOFF_QUEUE],
            args=[
                session_id,
                redis_keys.AGENT_CHATS_PREFIX,
                agent_owner(by_agent) if by_agent else "",
            ],
        )
        return self._result(raw)
