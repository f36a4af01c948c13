"""Locks an agent id out for a while after repeated failed logins.

Failures are counted per id in a counter that expires ``window_seconds`` after the
first; the failure that reaches ``max_failures`` sets a lock for ``lockout_seconds`` and
resets the counter. Both happen in one Lua script, so concurrent failures cannot slip
past the limit. Ids that are not on the roster are tracked the same way (an attacker
learns nothing from the answers), and an id that is not a valid agent id, or is too
long, is keyed by its SHA-256 so junk input cannot make huge keys.
"""

from __future__ import annotations

import hashlib
import math

import redis.asyncio as redis

from bot import redis_keys
from bot.agents.roster import AGENT_ID_PATTERN, normalize_agent_id

MAX_KEYED_ID_LENGTH = 64

# KEYS: failures counter, lock. ARGV: max failures, window (s), lockout (s).
# Returns the seconds the id is locked for (0 when this failure did not lock it).
_FAILURE_SCRIPT = """
local locked = redis.call('PTTL', KEYS[2])
if locked == -1 then
  return tonumber(ARGV[3])
elseif locked > 0 then
  return math.ceil(locked / 1000)
end
local failures = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if failures >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
return 0
"""


def keyed_agent_id(agent_id: str) -> str:
    """The id as it appears in Redis keys: itself if it is a valid agent id, else a digest.

    Valid ids are at most 40 characters and the 64-character digest never matches the id
    pattern, so the two cannot collide.
    """
    normalized = normalize_agent_id(agent_id if isinstance(agent_id, str) else str(agent_id))
    if len(normalized) <= MAX_KEYED_ID_LENGTH and AGENT_ID_PATTERN.match(normalized):
        return normalized
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


class LoginGuard:
    """Counts failed logins per agent id and says how long an id is locked out."""

    def __init__(
        self,
        client: redis.Redis,
        max_failures: int = 5,
        window_seconds: int = 900,
        lockout_seconds: int = 300,
    ) -> None:
        if max_failures < 1 or window_seconds < 1 or lockout_seconds < 1:
            raise ValueError("max_failures, window_seconds and lockout_seconds must be ≥ 1")
        self.client = client
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lockout_seconds = lockout_seconds
        self._record_failure = client.register_script(_FAILURE_SCRIPT)

    async def locked_for(self, agent_id: str) -> int:
        """Seconds left of this id's lockout (rounded up), 0 if it is not locked out."""
        remaining_ms = int(
            await self.client.pttl(redis_keys.login_lock_key(keyed_agent_id(agent_id)))
        )
        if remaining_ms == -1:  # a lock without expiry (set by hand): a full lockout
            return self.lockout_seconds
        return math.ceil(remaining_ms / 1000) if remaining_ms > 0 else 0

    async def record_failure(self, agent_id: str) -> int:
        """Count a failed login; the seconds the id is locked for, or 0 if it is not."""
        key_id = keyed_agent_id(agent_id)
        locked = await self._record_failure(
            keys=[redis_keys.login_failures_key(key_id), redis_keys.login_lock_key(key_id)],
            args=[self.max_failures, self.window_seconds, self.lockout_seconds],
        )
        return int(locked)

    async def record_success(self, agent_id: str) -> None:
        """Forget this id's failed logins (a lockout in force stays)."""
        await self.client.delete(redis_keys.login_failures_key(keyed_agent_id(agent_id)))
