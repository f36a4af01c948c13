"""Slows password guessing down without letting a stranger lock an agent out.

A hard lock per agent id (what this module did before) hands the lock to anyone who
knows the id: forty wrong passwords and the real agent cannot log in. Instead every
login attempt is counted, before its password is checked, against two scopes:

- its **source**: the client's address (IPv6 by /64, see bot/gateway/client_ip.py),
  or, when the browser shows a valid *known-device* cookie for this agent id (set by
  an earlier successful login, see ``bot.gateway.known_device``), that device alone;
- the **agent id**, for attempts from sources that are not a known device of it.

Each scope may fail ``limit`` times in a row within the window; after that every
further attempt first waits a growing delay (4 s, 8 s, 16 s, … up to the maximum), and
is answered 429 with Retry-After until it is over. A successful login gives back the
attempt it was counted as. The per-source limit is lower than the per-id one, so one
source alone can never slow an id down; many sources together can, but only for
browsers that are not a known device of that agent, so the agent at their usual
console always gets in.

Check and count are one Lua script: a hundred parallel guesses cannot all pass the
check before the first failure is counted (the count happens first, the bcrypt check
after). The price: logins under way count until they succeed, so at most ``limit``
logins from one source can be under way at once (a few hundred milliseconds each);
more are told to wait, as if they had failed.

Ids that are not on the roster are tracked the same way (an attacker learns nothing
from the answers), and an id that is not a valid agent id, or is too long, is keyed by
its SHA-256 so junk input cannot make huge keys.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as redis

from bot import redis_keys
from bot.agents.roster import AGENT_ID_PATTERN, normalize_agent_id

MAX_KEYED_ID_LENGTH = 64
FIRST_DELAY_SECONDS = 4
"""The wait after a scope's limit is reached; it doubles with every further failure."""

# KEYS: source failures, source block, id failures, id block.
# ARGV: source limit, id limit (0: the id scope is skipped), window (s), max delay (s),
# first delay (s).
# Returns 0 when the attempt may go on (it is already counted as a failure), else the
# seconds to wait.
_ATTEMPT_SCRIPT = """
local max_delay = tonumber(ARGV[4])
local function waiting(block_key)
  local left = redis.call('PTTL', block_key)
  if left == -1 then return max_delay end
  if left > 0 then return math.ceil(left / 1000) end
  return 0
end
local check_id = tonumber(ARGV[2]) > 0
local wait = waiting(KEYS[2])
if check_id then wait = math.max(wait, waiting(KEYS[4])) end
if wait > 0 then return wait end
local function count(failures_key, block_key, limit)
  local failures = redis.call('INCR', failures_key)
  local delay = 0
  if failures >= limit then
    delay = math.min(tonumber(ARGV[5]) * 2 ^ (failures - limit), max_delay)
    redis.call('SET', block_key, '1', 'EX', delay)
  end
  redis.call('EXPIRE', failures_key, tonumber(ARGV[3]) + delay)
end
count(KEYS[1], KEYS[2], tonumber(ARGV[1]))
if check_id then count(KEYS[3], KEYS[4], tonumber(ARGV[2])) end
return 0
"""

# KEYS: failures and block of each scope the attempt was counted in. ARGV: their limits.
# The attempt was no failure: take it back, and lift a wait it alone started.
_REFUND_SCRIPT = """
for index = 1, #ARGV do
  local failures_key = KEYS[2 * index - 1]
  local left = redis.call('DECR', failures_key)
  if left <= 0 then redis.call('DEL', failures_key) end
  if left < tonumber(ARGV[index]) then redis.call('DEL', KEYS[2 * index]) end
end
return 0
"""


class LoginLimitsError(ValueError):
    """A login limit in the environment is malformed; the message names the variable."""


@dataclass(frozen=True)
class LoginLimits:
    """How many failures each scope may have before attempts must wait, and for how long
    failures are remembered."""

    source_failures: int = 5
    id_failures: int = 20
    window_seconds: int = 900
    max_delay_seconds: int = 900

    def __post_init__(self) -> None:
        values = (
            self.source_failures,
            self.id_failures,
            self.window_seconds,
            self.max_delay_seconds,
        )
        if min(values) < 1:
            raise ValueError("login limits must all be at least 1")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LoginLimits:
        source = os.environ if environ is None else environ
        return cls(
            source_failures=_count(source, "AGENT_LOGIN_SOURCE_FAILURES", cls.source_failures),
            id_failures=_count(source, "AGENT_LOGIN_ID_FAILURES", cls.id_failures),
            window_seconds=_count(source, "AGENT_LOGIN_WINDOW_SECONDS", cls.window_seconds),
            max_delay_seconds=_count(
                source, "AGENT_LOGIN_MAX_DELAY_SECONDS", cls.max_delay_seconds
            ),
        )


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, str(default)).strip()
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise LoginLimitsError(f"{name}={value!r} must be a whole number from 1 to 1000000")
    return int(value)


def keyed_agent_id(agent_id: str) -> str:
    """The id as it appears in Redis keys: itself if it is a valid agent id, else a digest.

    Valid ids are at most 40 characters and the 64-character digest never matches the id
    pattern, so the two cannot collide.
    """
    normalized = normalize_agent_id(agent_id if isinstance(agent_id, str) else str(agent_id))
    if len(normalized) <= MAX_KEYED_ID_LENGTH and AGENT_ID_PATTERN.match(normalized):
        return normalized
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class LoginAttempt:
    """One counted attempt: whether it may check its password, else how long to wait."""

    retry_after: int
    scopes: tuple[tuple[str, int], ...]
    """(scope, limit) of each counter the attempt was counted in (to give it back)."""

    @property
    def allowed(self) -> bool:
        return self.retry_after == 0


class LoginGuard:
    """Counts login attempts per source and per agent id, atomically with the check."""

    def __init__(self, client: redis.Redis, limits: LoginLimits | None = None) -> None:
        self.client = client
        self.limits = limits or LoginLimits()
        self._attempt = client.register_script(_ATTEMPT_SCRIPT)
        self._refund = client.register_script(_REFUND_SCRIPT)

    async def attempt(
        self, agent_id: str, source: str, known_device: str | None = None
    ) -> LoginAttempt:
        """Count an attempt to log in as ``agent_id`` from ``source`` (a client address
        key), or from ``known_device`` (the device id of a valid known-device cookie for
        this agent id): allowed, or the seconds to wait (then nothing was counted)."""
        limits = self.limits
        if known_device is not None:
            first = f"device:{keyed_agent_id(known_device)}"
            id_limit = 0
        else:
            first = f"source:{source}"
            id_limit = limits.id_failures
        id_scope = f"id:{keyed_agent_id(agent_id)}"
        wait = await self._attempt(
            keys=[
                redis_keys.login_failures_key(first),
                redis_keys.login_block_key(first),
                redis_keys.login_failures_key(id_scope),
                redis_keys.login_block_key(id_scope),
            ],
            args=[
                limits.source_failures,
                id_limit,
                limits.window_seconds,
                limits.max_delay_seconds,
                FIRST_DELAY_SECONDS,
            ],
        )
        scopes = [(first, limits.source_failures)]
        if id_limit:
            scopes.append((id_scope, id_limit))
        return LoginAttempt(retry_after=int(wait), scopes=tuple(scopes) if not wait else ())

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """The attempt's password was right: it was no failure after all."""
        if not attempt.scopes:
            return
        keys: list[str] = []
        for scope, _limit in attempt.scopes:
            keys += [redis_keys.login_failures_key(scope), redis_keys.login_block_key(scope)]
        await self._refund(keys=keys, args=[limit for _scope, limit in attempt.scopes])
