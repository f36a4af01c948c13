"""The limits at every visitor door: what one client IP, one connection and one
conversation may ask of the gateway, and the answer when they ask too much.

Per client IP (bot/gateway/client_ip.py) and per conversation the windows live in
Redis (every gateway counts into the same ones, atomically: bot/gateway/rate_limit.py);
per connection they live in the process that holds the socket. A refused request is
answered with ``error`` ``rate_limited`` carrying ``event`` (the door) and
``retry_after_ms`` (docs/protocol.md); messages keep their own ``slow_down``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis.asyncio as redis

from bot import redis_keys
from bot.gateway.client_ip import limit_subject
from bot.gateway.rate_limit import LocalWindow, SlidingWindows, Window
from bot.gateway.settings import RateLimit, VisitorLimits

RATE_LIMITED = "rate_limited"
"""The ``error`` code of every refused request but a message (``slow_down``)."""


@dataclass
class Connection:
    """One visitor socket: who is behind it and what it has used of its own budget."""

    client_ip: str
    new_sessions: LocalWindow
    resumes: LocalWindow
    refusal_told_until: dict[str, float] = field(default_factory=dict)
    """Per door, until when a refusal has been answered (a flood of typing events gets
    one answer per wait, not one per event)."""

    @property
    def subject(self) -> str:
        return limit_subject(self.client_ip)

    def should_tell(self, door: str, retry_after_ms: int) -> bool:
        now = time.monotonic()
        if self.refusal_told_until.get(door, 0.0) > now:
            return False
        self.refusal_told_until[door] = now + retry_after_ms / 1000
        return True


class VisitorDoors:
    """Takes each visitor request against its limits; 0 = go, else milliseconds to wait."""

    def __init__(self, client: redis.Redis, limits: VisitorLimits) -> None:
        self.limits = limits
        self._windows = SlidingWindows(client)
        self._per_conversation: dict[str, RateLimit] = {
            "typing": limits.typing_per_conversation,
            "history_request": limits.history_per_conversation,
            "rating": limits.ratings_per_conversation,
        }
        self._per_ip: dict[str, RateLimit] = {
            "typing": limits.typing_per_ip,
            "history_request": limits.history_per_ip,
            "rating": limits.ratings_per_ip,
        }

    def connection(self, client_ip: str) -> Connection:
        return Connection(
            client_ip,
            new_sessions=LocalWindow(self.limits.new_sessions_per_connection),
            resumes=LocalWindow(self.limits.resumes_per_connection),
        )

    async def connect(self, client_ip: str) -> int:
        subject = limit_subject(client_ip)
        key = redis_keys.limit_key("connect", "ip", subject)
        return await self._windows.take([Window(key, self.limits.connects_per_ip)])

    def resume(self, connection: Connection) -> int:
        """Resuming costs one Redis read; still, a connection gets only so many."""
        return connection.resumes.take()

    async def new_session(self, connection: Connection) -> int:
        waited = connection.new_sessions.take()
        if waited:
            return waited
        key = redis_keys.limit_key("session", "ip", connection.subject)
        return await self._windows.take([Window(key, self.limits.new_sessions_per_ip)])

    async def in_conversation(self, door: str, session_id: str, connection: Connection) -> int:
        """``typing``, ``history_request`` or ``rating``: per conversation and per IP."""
        return await self._windows.take(
            [
                Window(redis_keys.limit_key(door, "conversation", session_id),
                       self._per_conversation[door]),
                Window(redis_keys.limit_key(door, "ip", connection.subject), self._per_ip[door]),
            ]
        )  # fmt: skip
