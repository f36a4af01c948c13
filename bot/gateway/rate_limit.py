"""At most N events per S seconds per subject, over a sliding window, in one atomic step.

Every visitor door (connects, new sessions, messages, typing, history, ratings) is
limited per conversation and per client IP at once. A sorted set per (door, scope,
subject) holds the times of the events accepted in the last S seconds. A fixed window
(a counter per S-second slot) would let 2N through across a slot boundary; this cannot.

All the windows of one event are checked and counted by one Lua script: an event is
taken only if every window has room, and then counted in all of them. So parallel
requests (two gateways, many sockets) cannot slip past a limit, and an event refused
by one window does not use up another's room.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as redis

from bot import redis_keys
from bot.gateway.settings import RateLimit

# KEYS: one sorted set per window. ARGV: now (ms), a unique member, then for each key
# its window (ms) and limit. Returns 0 (taken and counted in every window) or the
# milliseconds until every window has room for one more.
_TAKE_SCRIPT = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local window, limit = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local freeing = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    wait = math.max(wait, math.ceil(tonumber(freeing[2]) + window - now), 1)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1 + 2 * i]))
end
return 0
"""


@dataclass(frozen=True)
class Window:
    """One limit on one subject: ``limit`` events per window at ``key``."""

    key: str
    limit: RateLimit


class SlidingWindows:
    """Takes an event against several windows at once; refused events do not count."""

    def __init__(self, client: redis.Redis) -> None:
        self._take = client.register_script(_TAKE_SCRIPT)

    async def take(self, windows: Sequence[Window]) -> int:
        """0 if the event may happen now (it is counted in every window); else the
        milliseconds until it could."""
        if not windows:
            return 0
        args: list[int | str] = [int(time.time() * 1000), secrets.token_hex(8)]
        for window in windows:
            args += [window.limit.per_seconds * 1000, window.limit.messages]
        waited = await self._take(keys=[window.key for window in windows], args=args)
        return int(waited)


class ConversationRateLimit:
    """Visitor messages: per conversation (``GATEWAY_RATE_LIMIT``) and, when given, per
    client IP, so opening new conversations does not escape the limit."""

    def __init__(
        self, client: redis.Redis, limit: RateLimit, per_ip: RateLimit | None = None
    ) -> None:
        self.limit = limit
        self.per_ip = per_ip
        self._windows = SlidingWindows(client)

    async def take(self, session_id: str, client_ip: str | None = None) -> int:
        """0 if a message may go now (it is counted); else milliseconds to wait."""
        windows = [Window(redis_keys.rate_key(session_id), self.limit)]
        if client_ip is not None and self.per_ip is not None:
            windows.append(Window(redis_keys.limit_key("message", "ip", client_ip), self.per_ip))
        return await self._windows.take(windows)


class LocalWindow:
    """The same sliding window for one connection, in process memory: a socket lives in
    one gateway process, so nothing needs to be shared (or can race: one event loop)."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._times: deque[float] = deque()

    def take(self, now: float | None = None) -> int:
        """0 if the event may happen now (it is counted); else milliseconds to wait."""
        now = time.monotonic() if now is None else now
        window = self.limit.per_seconds
        while self._times and self._times[0] <= now - window:
            self._times.popleft()
        if len(self._times) >= self.limit.messages:
            freeing = self._times[-self.limit.messages]
            return max(1, int((freeing + window - now) * 1000) + 1)
        self._times.append(now)
        return 0
