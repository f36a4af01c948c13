"""Whether agents are online, away or offline, from heartbeats that expire.

An agent is online or away (their choice) while their console sends signs of
life (the agents' socket, any API call); once none came for
``heartbeat_timeout`` seconds they are offline. An agent offline for longer than
``grace`` seconds loses their chats back to the queue (the gateway's presence
sweeper does that). No rasa import.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as redis

from bot import redis_keys
from bot.redis_keys import decoded

Status = Literal["online", "away", "offline"]
CHOSEN_STATUSES = ("online", "away")


@dataclass(frozen=True)
class PresenceTimes:
    heartbeat_timeout: float = 30.0
    """Seconds without a sign of life after which an agent counts as offline."""
    grace: float = 60.0
    """Further seconds before an offline agent's chats go back to the queue."""


def presence_times_from_environment() -> PresenceTimes:
    """``AGENT_HEARTBEAT_TIMEOUT_SECONDS`` and ``AGENT_OFFLINE_GRACE_SECONDS`` (defaults
    30 and 60)."""
    values = {}
    for name, variable in (
        ("heartbeat_timeout", "AGENT_HEARTBEAT_TIMEOUT_SECONDS"),
        ("grace", "AGENT_OFFLINE_GRACE_SECONDS"),
    ):
        raw = os.environ.get(variable)
        if raw:
            try:
                values[name] = float(raw)
            except ValueError:
                raise ValueError(f"{variable} must be a number of seconds, not {raw!r}") from None
    return PresenceTimes(**values)


class Presence:
    """Reads and records agents' presence."""

    def __init__(self, client: redis.Redis, times: PresenceTimes | None = None) -> None:
        self.client = client
        self.times = times or PresenceTimes()

    async def heartbeat(self, agent_id: str) -> None:
        """A sign of life; an agent who never chose a status becomes online."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(redis_keys.AGENT_HEARTBEATS, {agent_id: time.time()})
            pipe.hsetnx(redis_keys.AGENT_PRESENCE, agent_id, "online")
            await pipe.execute()

    async def set_status(self, agent_id: str, status: Status) -> None:
        """``online`` / ``away`` (also a sign of life), or ``offline`` (logging out: the
        grace period starts now)."""
        async with self.client.pipeline(transaction=True) as pipe:
            if status == "offline":
                pipe.hdel(redis_keys.AGENT_PRESENCE, agent_id)
                stale = time.time() - self.times.heartbeat_timeout
                pipe.zadd(redis_keys.AGENT_HEARTBEATS, {agent_id: stale})
            else:
                pipe.hset(redis_keys.AGENT_PRESENCE, agent_id, status)
                pipe.zadd(redis_keys.AGENT_HEARTBEATS, {agent_id: time.time()})
            await pipe.execute()

    async def statuses(self) -> dict[str, Status]:
        """Every agent who has been seen, with their status now."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.zrange(redis_keys.AGENT_HEARTBEATS, 0, -1, withscores=True)
            pipe.hgetall(redis_keys.AGENT_PRESENCE)
            beats, chosen = await pipe.execute()
        chosen_by_id = {decoded(k): decoded(v) for k, v in chosen.items()}
        alive_since = time.time() - self.times.heartbeat_timeout
        result: dict[str, Status] = {}
        for raw_id, seen in beats:
            agent_id = decoded(raw_id)
            status = chosen_by_id.get(agent_id)
            result[agent_id] = (
                status if seen >= alive_since and status in CHOSEN_STATUSES else "offline"  # type: ignore[assignment]
            )
        return result

    async def status(self, agent_id: str) -> Status:
        return (await self.statuses()).get(agent_id, "offline")

    async def gone_beyond_grace(self) -> list[str]:
        """Agents whose last sign of life is older than the timeout plus the grace."""
        cutoff = time.time() - self.times.heartbeat_timeout - self.times.grace
        return [
            decoded(agent_id)
            for agent_id in await self.client.zrangebyscore(
                redis_keys.AGENT_HEARTBEATS, "-inf", cutoff
            )
        ]

    async def chats_of(self, agent_id: str) -> list[str]:
        return sorted(
            decoded(s) for s in await self.client.smembers(redis_keys.agent_chats_key(agent_id))
        )

    async def loads(self, agent_ids: list[str]) -> dict[str, int]:
        """How many chats each agent owns now."""
        async with self.client.pipeline(transaction=False) as pipe:
            for agent_id in agent_ids:
                pipe.scard(redis_keys.agent_chats_key(agent_id))
            counts = await pipe.execute()
        return dict(zip(agent_ids, (int(c) for c in counts), strict=True))
