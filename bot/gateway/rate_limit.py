"""At most N visitor messages per S seconds per conversation, over a sliding window.

A sorted set per conversation holds the times of the messages accepted in the last
S seconds. A fixed window (a counter per S-second slot) would let 2N through across a
slot boundary; this cannot.
"""

from __future__ import annotations

import secrets
import time

import redis.asyncio as redis

from bot import redis_keys
from bot.gateway.settings import RateLimit

# KEYS: the conversation's set. ARGV: now (ms), window (ms), limit, a unique member.
# Returns 0 (accepted, and counted) or the milliseconds until one more would be.
_TAKE_SCRIPT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
"""


class ConversationRateLimit:
    """Counts accepted messages; refused ones do not count."""

    def __init__(self, client: redis.Redis, limit: RateLimit) -> None:
        self.limit = limit
        self._take = client.register_script(_TAKE_SCRIPT)

    async def take(self, session_id: str) -> int:
        """0 if a message may go now (it is counted); else milliseconds to wait."""
        waited = await self._take(
            keys=[redis_keys.rate_key(session_id)],
            args=[
                int(time.time() * 1000),
                self.limit.per_seconds * 1000,
                self.limit.messages,
                secrets.token_hex(6),
            ],
        )
        return int(waited)
