"""The queue of conversations waiting for a person, and what is stored with each.

``handoff-queue`` orders the waiting conversations; ``handoff:<session>`` holds
the latest handoff of a conversation (packet, routed agent, summary, email…).
Both survive restarts (they are in Redis). No rasa import.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import chat_id, customer_key_for_agents
from bot.handoff.reservation import reservation_in
from bot.ownership import QUEUED
from bot.redis_keys import decoded
from bot.transcript import utc_timestamp

DEFAULT_WAIT_PER_CHAT_SECONDS = 120.0
"""Until real waits were measured: how long an agent usually takes to pick up a chat."""
RECENT_WAITS_KEPT = 50

# KEYS: owner, handoff. ARGV: the queued owner value, email.
_LEAVE_EMAIL = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'email', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class QueueEntry:
    """A conversation waiting for a person, as agents see it in the queue."""

    session_id: str
    """Internal: ``to_json`` (what agents get) names the chat id instead."""
    position: int
    """1 = next."""
    queued_at: str
    waiting_seconds: int
    summary: str
    category: str | None
    customer_key: str
    trigger: str
    routed_to: str | None
    """The agent routing chose (anyone may still claim)."""
    email: str | None
    """Left by the customer so the first agent who comes online can write to them."""
    requeued_from: str | None
    reserved_until: str | None = None
    """While only ``routed_to`` may claim the chat (the customer was told their name):
    until when, ISO 8601 UTC; ``None`` once anyone may."""
    flood_held_back: int = 0
    """How many more requests from this one source (client IP or customer) were held
    back because it had enough waiting: a flood, not that many customers (0: none)."""

    def to_json(self) -> dict[str, Any]:
        """As agents see it: the conversation named by its chat id, never by the session
        id (the visitor's credential; bot/chat_ids.py)."""
        fields = asdict(self)
        del fields["session_id"]
        return {
            "chat_id": chat_id(self.session_id),
            **fields,
            "customer_key": customer_key_for_agents(self.customer_key),
        }


QUEUE_ENTRY_FIELDS = (
    "queued_at", "queued_ts", "summary", "category", "customer_key", "trigger",
    "routed_to", "email", "requeued_from", "reserved_until", "flood_held_back",
)  # fmt: skip


def estimate_wait_seconds(position: int, agents_online: int, per_chat: float) -> int | None:
    """A realistic wait for the ``position``-th in line when agents take ``per_chat``
    seconds each to pick a chat up; ``None`` while nobody is online (no honest estimate
    exists then)."""
    if agents_online <= 0:
        return None
    return int(math.ceil(position / agents_online) * per_chat)


class HandoffQueue:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def handoff(self, session_id: str) -> dict[str, str]:
        """The stored fields of the conversation's latest handoff (empty if none)."""
        raw = await self.client.hgetall(redis_keys.handoff_key(session_id))
        return {decoded(k) or "": decoded(v) or "" for k, v in raw.items()}

    async def packet(self, session_id: str) -> dict[str, Any] | None:
        raw = await self.client.hget(redis_keys.handoff_key(session_id), "packet")
        return json.loads(raw) if raw else None

    async def session_ids(self) -> list[str]:
        return [decoded(s) or "" for s in await self.client.zrange(redis_keys.HANDOFF_QUEUE, 0, -1)]

    async def _fields_of_queued(self, names: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
        """(session id, the named handoff fields) of everyone waiting, front first; only
        those fields (the packet, with its whole transcript, stays in Redis)."""
        session_ids = await self.session_ids()
        async with self.client.pipeline(transaction=False) as pipe:
            for session_id in session_ids:
                pipe.hmget(redis_keys.handoff_key(session_id), list(names))
            rows = await pipe.execute()
        return [
            (
                session_id,
                {name: decoded(value) or "" for name, value in zip(names, row, strict=True)},
            )
            for session_id, row in zip(session_ids, rows, strict=True)
        ]

    async def entries(self) -> list[QueueEntry]:
        """Everyone waiting, front first."""
        now = time.time()
        entries = []
        queued = await self._fields_of_queued(QUEUE_ENTRY_FIELDS)
        for position, (session_id, fields) in enumerate(queued, start=1):
            queued_ts = float(fields["queued_ts"] or now)
            reservation = reservation_in(fields, now)
            entries.append(
                QueueEntry(
                    session_id=session_id,
                    position=position,
                    queued_at=fields["queued_at"],
                    waiting_seconds=max(0, int(now - queued_ts)),
                    summary=fields["summary"],
                    category=fields["category"] or None,
                    customer_key=fields["customer_key"],
                    trigger=fields["trigger"],
                    routed_to=fields["routed_to"] or None,
                    email=fields["email"] or None,
                    requeued_from=fields["requeued_from"] or None,
                    reserved_until=utc_timestamp(reservation.until) if reservation else None,
                    flood_held_back=int(fields["flood_held_back"] or 0),
                )
            )
        return entries

    async def routed_counts(self) -> dict[str, int]:
        """How many waiting conversations routing has promised to each agent."""
        counts: dict[str, int] = {}
        for _, fields in await self._fields_of_queued(("routed_to",)):
            if fields["routed_to"]:
                counts[fields["routed_to"]] = counts.get(fields["routed_to"], 0) + 1
        return counts

    async def reservations(self) -> dict[str, dict[str, str]]:
        """The stored ``routed_to`` / ``reserved_until`` of every waiting chat that has a
        reservation, open or past its window (the lapse sweep reads this)."""
        names = ("routed_to", "reserved_until")
        return {
            session_id: fields
            for session_id, fields in await self._fields_of_queued(names)
            if fields["routed_to"] and fields["reserved_until"]
        }

    async def record_wait(self, seconds: float) -> None:
        """How long a conversation waited before a person claimed it."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.lpush(redis_keys.HANDOFF_WAITS, round(seconds, 1))
            pipe.ltrim(redis_keys.HANDOFF_WAITS, 0, RECENT_WAITS_KEPT - 1)
            await pipe.execute()

    async def typical_wait_per_chat(self) -> float:
        waits = [float(w) for w in await self.client.lrange(redis_keys.HANDOFF_WAITS, 0, -1)]
        return statistics.median(waits) if waits else DEFAULT_WAIT_PER_CHAT_SECONDS

    async def leave_email(self, session_id: str, email: str) -> bool:
        """Keep the customer's email with their queued request; whether it was queued
        (checked and written in one step: a claim in between cannot slip through)."""
        stored = await self.client.eval(
            _LEAVE_EMAIL,
            2,
            redis_keys.owner_key(session_id),
            redis_keys.handoff_key(session_id),
            QUEUED,
            email,
        )
        return bool(stored)
