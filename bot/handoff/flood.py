"""A cap on open requests for a person, per client IP and per customer.

Opening a conversation costs a stranger nothing, and each can ask for a person; without
a cap one source could fill the agents' queue and push real customers back. So before
a conversation is queued, it reserves a place among its source's open requests: at
most ``GATEWAY_HANDOFF_MAX_OPEN_PER_IP`` from one client IP and
``GATEWAY_HANDOFF_MAX_OPEN_PER_CUSTOMER`` for one customer. Like every visitor door's
limit these are the gateway's settings: the gateway records the client IP and the caps
it applies on the session (bot/gateway/sessions.py), and the handoff action (in the
action server) reads them from there. A request is open while its conversation waits
in the queue (or for a short grace while it is being queued); once a person takes it,
it no longer counts.

Over the cap the request is held back: the visitor is told why, and the agents see the
flood as such: every request of that source still waiting is marked with how many were
held back (``QueueEntry.flood_held_back``), and a ``handoff_held_back`` event goes out.

Check, count and marking are one Lua script, so parallel requests cannot slip past the
cap. No rasa import (the action server and the gateway both use it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as redis

from bot import redis_keys
from bot.gateway.client_ip import limit_subject

FLOOD_GRACE_SECONDS = 60
"""A reservation not (yet) in the queue still counts this long (routing and the packet
take a moment); after that, if it never reached the queue, it is forgotten."""

FLOOD_RECORD_SECONDS = 24 * 3600
"""How long a source's open requests and held-back count are kept after its last one."""

# KEYS: the IP's open requests, the customer's, the queue, the IP's held-back counter,
# the customer's. ARGV: session id, now, grace, cap per IP (-1: no IP known), cap per
# customer, ttl, the handoff hash prefix.
# Returns {0} when the place is reserved, else {1 (IP) or 2 (customer), open, held back}.
_RESERVE = """
local session, now, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local caps, ttl = {tonumber(ARGV[4]), tonumber(ARGV[5])}, tonumber(ARGV[6])
local function still_open(key)
  local open = {}
  local members = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #members, 2 do
    local member, since = members[i], tonumber(members[i + 1])
    if member ~= session then
      if redis.call('ZSCORE', KEYS[3], member) or since > now - grace then
        table.insert(open, member)
      else
        redis.call('ZREM', key, member)
      end
    end
  end
  return open
end
for source = 1, 2 do
  if caps[source] >= 0 then
    local open = still_open(KEYS[source])
    if #open >= caps[source] then
      local held = redis.call('INCR', KEYS[3 + source])
      redis.call('EXPIRE', KEYS[3 + source], ttl)
      for _, member in ipairs(open) do
        if redis.call('ZSCORE', KEYS[3], member) then
          redis.call('HSET', ARGV[7] .. member, 'flood_held_back', held)
        end
      end
      return {source, #open, held}
    end
  end
end
for source = 1, 2 do
  if caps[source] >= 0 then
    redis.call('ZADD', KEYS[source], now, session)
    redis.call('EXPIRE', KEYS[source], ttl)
  end
end
return {0}
"""

CAP_FIELDS = ("handoff_cap_ip", "handoff_cap_customer")
"""The session hash's fields holding the caps of the gateway that opened it."""


@dataclass(frozen=True)
class FloodCaps:
    """How many requests for a person may wait at once from one source."""

    per_ip: int = 3
    per_customer: int = 2

    def session_fields(self) -> dict[str, str]:
        return dict(zip(CAP_FIELDS, (str(self.per_ip), str(self.per_customer)), strict=True))

    @classmethod
    def from_session_fields(cls, values: list[str]) -> FloodCaps:
        """The recorded caps; the defaults for a session recorded without them."""
        per_ip, per_customer = (int(v) if v.isdigit() and int(v) > 0 else 0 for v in values)
        return cls(per_ip=per_ip or cls.per_ip, per_customer=per_customer or cls.per_customer)


@dataclass(frozen=True)
class HeldBack:
    """A request for a person that was not queued: its source has enough waiting."""

    source: Literal["ip", "customer"]
    open_requests: int
    """How many of the source's requests are waiting."""
    held_back: int
    """How many of the source's requests have been held back (this one included)."""


class HandoffFloodGuard:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._reserve = client.register_script(_RESERVE)

    async def reserve(self, session_id: str, customer_key: str) -> HeldBack | None:
        """Reserve the conversation's place among its sources' open requests; ``None``
        if it may be queued, else why it is held back."""
        raw = await self.client.hmget(
            redis_keys.session_key(session_id), ["client_ip", *CAP_FIELDS]
        )
        recorded = [(v.decode() if isinstance(v, bytes) else v) or "" for v in raw]
        client_ip = limit_subject(recorded[0]) if recorded[0] else ""
        caps = FloodCaps.from_session_fields(recorded[1:])
        result = await self._reserve(
            keys=[
                redis_keys.handoff_open_key("ip", client_ip),
                redis_keys.handoff_open_key("customer", customer_key),
                redis_keys.HANDOFF_QUEUE,
                redis_keys.handoff_held_back_key("ip", client_ip),
                redis_keys.handoff_held_back_key("customer", customer_key),
            ],
            args=[
                session_id,
                time.time(),
                FLOOD_GRACE_SECONDS,
                caps.per_ip if client_ip else -1,
                caps.per_customer,
                FLOOD_RECORD_SECONDS,
                redis_keys.HANDOFF_PREFIX,
            ],
        )
        if int(result[0]) == 0:
            return None
        source: Literal["ip", "customer"] = "ip" if int(result[0]) == 1 else "customer"
        return HeldBack(source, open_requests=int(result[1]), held_back=int(result[2]))
