"""The gateway's retention sweeper: forgets what the retention settings say is too old.

Conversations are found through the per-customer indexes (``customer-conversations:``,
scored by start time), so a conversation's age counts from its start. Each sweep, for
every conversation older than a kind's retention (bot/retention.py), the keys of that
kind go: ``transcript:``/``transcript-seq:`` (transcript), ``tracker:`` (tracker; Rasa
also expires it itself, endpoints.yml ``record_exp``), ``handoff:`` (handoff), ``notes:``
(notes), ``rating:`` (rating). Once a conversation is older than every per-conversation
retention, its session record, owner, inbox and rate keys go too, it leaves the index,
the queue and the agents' read markers, and a customer left with no conversation loses
their last-agent record. Resolutions (``resolution:``, which also carry a TTL from when
they were written) leave with their index entries, and the shared streams are trimmed by
entry time: ``handoff-requests`` after the handoff retention, ``cancellation-requests``
after the resolution retention.

Every gateway runs the loop; a lease in Redis lets one of them sweep per interval. A
sweep only deletes what is past its retention, so running it twice is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.redis_keys import decoded
from bot.retention import RetentionPolicy

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 3600
SWEEP_LEASE_KEY = "retention-sweep-lease"
"""Set (with expiry) by the gateway sweeping now; the others skip that interval."""

CONVERSATION_KINDS = {
    "transcript": (redis_keys.transcript_key, redis_keys.transcript_seq_key),
    "tracker": (redis_keys.rasa_tracker_key,),
    "handoff": (redis_keys.handoff_key,),
    "notes": (redis_keys.notes_key,),
    "rating": (redis_keys.rating_key,),
}
"""Kind of record (a ``RetentionPolicy`` field without ``_days``) → its keys per session."""

SESSION_KEYS = (
    redis_keys.session_key,
    redis_keys.owner_key,
    redis_keys.inbox_key,
    redis_keys.inbox_lease_key,
    redis_keys.rate_key,
    lambda session_id: redis_keys.chat_key(chat_id(session_id)),
)
"""What is left of a conversation once every kind above has gone."""


@dataclass
class SweepReport:
    """How many keys, index members and stream entries one sweep removed."""

    deleted: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, count: int) -> None:
        if count:
            self.deleted[what] += int(count)


class RetentionSweeper:
    """Deletes records past their retention; ``sweep_forever`` runs it periodically."""

    def __init__(
        self,
        client: redis.Redis,
        policy: RetentionPolicy,
        interval_seconds: float = SWEEP_INTERVAL_SECONDS,
    ) -> None:
        self.client = client
        self.policy = policy
        self.interval_seconds = interval_seconds

    async def sweep_forever(self) -> None:
        while True:
            try:
                lease = await self.client.set(
                    SWEEP_LEASE_KEY, "1", nx=True, ex=max(1, int(self.interval_seconds))
                )
                if lease:
                    report = await self.sweep_once()
                    if report.deleted:
                        logger.info("retention.swept %s", dict(report.deleted))
            except (redis.RedisError, OSError) as error:
                logger.warning("retention.sweep_failed error=%s", type(error).__name__)
            except Exception:  # a malformed record must not stop every later sweep
                logger.exception("retention.sweep_failed")
            await asyncio.sleep(self.interval_seconds)

    async def sweep_once(self, now: float | None = None) -> SweepReport:
        """One pass over every customer's conversations, resolutions and the streams."""
        now = time.time() if now is None else now
        report = SweepReport()
        gone: list[str] = []
        async for raw in self.client.scan_iter(
            match=f"{redis_keys.CUSTOMER_CONVERSATIONS_PREFIX}*", count=500
        ):
            gone += await self._sweep_customer(decoded(raw), now, report)
        async for raw in self.client.scan_iter(
            match=f"{redis_keys.CUSTOMER_RESOLUTIONS_PREFIX}*", count=500
        ):
            await self._sweep_resolutions(decoded(raw), now, report)
        if gone:
            await self._forget_everywhere(gone, report)
        await self._trim(redis_keys.HANDOFF_REQUESTS_STREAM, "handoff", now, report)
        await self._trim(redis_keys.CANCELLATION_REQUESTS_STREAM, "resolution", now, report)
        return report

    async def _sweep_customer(self, index_key: str, now: float, report: SweepReport) -> list[str]:
        """Delete the customer's too-old records; returns the conversations wholly gone."""
        shortest = min(self.policy.seconds(kind) for kind in CONVERSATION_KINDS)
        longest = max(self.policy.seconds(kind) for kind in CONVERSATION_KINDS)
        old = await self.client.zrangebyscore(index_key, "-inf", now - shortest, withscores=True)
        gone: list[str] = []
        for member, started in old:
            session_id = decoded(member)
            age = now - float(started)
            keys = [
                key_of(session_id)
                for kind, key_makers in CONVERSATION_KINDS.items()
                if age > self.policy.seconds(kind)
                for key_of in key_makers
            ]
            if age > longest:
                keys += [key_of(session_id) for key_of in SESSION_KEYS]
                gone.append(session_id)
            report.add("keys", await self.client.delete(*keys))
        if gone:
            report.add("index_members", await self.client.zrem(index_key, *gone))
            if not await self.client.exists(index_key):
                customer_key = index_key.removeprefix(redis_keys.CUSTOMER_CONVERSATIONS_PREFIX)
                report.add(
                    "keys",
                    await self.client.delete(redis_keys.customer_last_agent_key(customer_key)),
                )
        return gone

    async def _sweep_resolutions(self, index_key: str, now: float, report: SweepReport) -> None:
        cutoff = now - self.policy.seconds("resolution")
        old = [decoded(r) for r in await self.client.zrangebyscore(index_key, "-inf", cutoff)]
        if old:
            report.add("keys", await self.client.delete(*map(redis_keys.resolution_key, old)))
            report.add("index_members", await self.client.zrem(index_key, *old))

    async def _forget_everywhere(self, sessions: list[str], report: SweepReport) -> None:
        """The conversations leave the shared sets that name them."""
        for shared in (redis_keys.HANDOFF_QUEUE, redis_keys.INBOX_PENDING):
            report.add("index_members", await self.client.zrem(shared, *sessions))
        async for raw in self.client.scan_iter(match=f"{redis_keys.AGENT_READ_PREFIX}*"):
            report.add("index_members", await self.client.hdel(raw, *sessions))

    async def _trim(self, stream: str, kind: str, now: float, report: SweepReport) -> None:
        """Drop stream entries older than the kind's retention (entry ids are times in ms)."""
        oldest_kept_ms = int((now - self.policy.seconds(kind)) * 1000)
        trimmed = await self.client.execute_command("XTRIM", stream, "MINID", f"{oldest_kept_ms}-0")
        report.add("stream_entries", int(trimmed or 0))
