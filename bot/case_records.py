"""What the assistant writes down: resolutions, handoff requests, cancellations.

All persistence of the complaint dialogue goes through ``CaseRecords``; actions
never touch Redis directly. No rasa import: the gateway and later tools
(follow-ups, insights) read the same records.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

import redis.asyncio as redis

from bot import redis_keys
from bot.retention import RetentionPolicy

VERIFIED_CUSTOMER_PREFIX = "user:"
"""Customer keys the gateway gives a user id the host page vouched for (HMAC)."""


def verified_user_id(customer_key: str) -> str | None:
    """The user id behind a verified customer key (``user:<id>``); ``None`` for an
    anonymous visitor, whose identity (and so whose orders) nobody checked."""
    if customer_key.startswith(VERIFIED_CUSTOMER_PREFIX):
        return customer_key[len(VERIFIED_CUSTOMER_PREFIX) :] or None
    return None


@dataclass(frozen=True)
class ResolutionRecord:
    """An agreed fix, as confirmed to the customer."""

    reference: str
    customer_key: str
    session_id: str
    categories: list[str]
    order_id: str | None
    fix: str
    within_authority: bool
    agreed_at: str
    verified: bool = False
    """Whether the customer was a verified user (``user_id``); if not, nobody checked the
    order is theirs, and the fix waits for the team to check it."""
    user_id: str | None = None


@dataclass(frozen=True)
class HandoffRequest:
    """A request to bring a person into the conversation, with its reason."""

    session_id: str
    customer_key: str
    trigger: str
    reason: str
    categories: list[str]
    order_id: str | None
    customer_ask: str | None
    requested_at: str


@dataclass(frozen=True)
class CancellationRequest:
    """A confirmed request to cancel an order."""

    reference: str
    session_id: str
    customer_key: str
    order_id: str
    requested_at: str
    verified: bool = False
    """Whether the customer was a verified user (``user_id``). ``False``: nobody checked
    that the person who asked owns the order; the order system must check before acting."""
    user_id: str | None = None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class CaseRecords:
    """Reads and writes the dialogue's records in Redis."""

    def __init__(self, client: redis.Redis, retention: RetentionPolicy | None = None) -> None:
        self._redis = client
        self._retention = retention or RetentionPolicy.from_environment()

    @classmethod
    def from_url(cls, url: str) -> CaseRecords:
        return cls(redis.Redis.from_url(url, decode_responses=True))

    async def close(self) -> None:
        await self._redis.close()

    async def next_reference(self, prefix: str, now: datetime | None = None) -> str:
        """A new, never repeated reference such as ``NW-261123-0007``."""
        day = (now or utc_now()).strftime("%y%m%d")
        counter_key = redis_keys.reference_counter_key(day)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter_key)
            pipe.expire(counter_key, 3 * 24 * 3600)
            number, _ = await pipe.execute()
        return f"{prefix}-{day}-{int(number):04d}"

    async def save_resolution(self, record: ResolutionRecord) -> None:
        fields = {
            key: json.dumps(value) if isinstance(value, list) else ("" if value is None else value)
            for key, value in asdict(record).items()
        }
        fields["within_authority"] = "1" if record.within_authority else "0"
        fields["verified"] = "1" if record.verified else "0"
        agreed = datetime.fromisoformat(record.agreed_at).timestamp()
        resolution_key = redis_keys.resolution_key(record.reference)
        index_key = redis_keys.customer_resolutions_key(record.customer_key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(resolution_key, mapping=fields)
            pipe.expire(resolution_key, self._retention.seconds("resolution"))
            pipe.zadd(index_key, {record.reference: agreed})
            pipe.expire(index_key, self._retention.seconds("customer_index"))
            await pipe.execute()

    async def load_resolution(self, reference: str) -> ResolutionRecord | None:
        fields = await self._redis.hgetall(redis_keys.resolution_key(reference))
        if not fields:
            return None
        return ResolutionRecord(
            reference=fields["reference"],
            customer_key=fields["customer_key"],
            session_id=fields["session_id"],
            categories=json.loads(fields["categories"]),
            order_id=fields["order_id"] or None,
            fix=fields["fix"],
            within_authority=fields["within_authority"] == "1",
            agreed_at=fields["agreed_at"],
            verified=fields.get("verified") == "1",
            user_id=fields.get("user_id") or None,
        )

    async def customer_resolution_references(self, customer_key: str) -> list[str]:
        key = redis_keys.customer_resolutions_key(customer_key)
        return list(await self._redis.zrange(key, 0, -1))

    async def save_handoff_request(self, request: HandoffRequest) -> str:
        """Append the request to the handoff stream; returns its stream id."""
        return str(
            await self._redis.xadd(
                redis_keys.HANDOFF_REQUESTS_STREAM,
                {"request": json.dumps(asdict(request))},
            )
        )

    async def handoff_requests(self, session_id: str | None = None) -> list[HandoffRequest]:
        """Every recorded handoff request, oldest first (optionally of one session)."""
        entries = await self._redis.xrange(redis_keys.HANDOFF_REQUESTS_STREAM)
        requests = [HandoffRequest(**json.loads(fields["request"])) for _, fields in entries]
        return [r for r in requests if session_id is None or r.session_id == session_id]

    async def save_cancellation(self, request: CancellationRequest) -> None:
        """Append the cancellation to the order system's stream. Besides the request, the
        entry says in plain fields whether the customer's identity was verified
        (``verified``: ``true``/``false``) and who they are (``user_id``), so a consumer
        that reads nothing else still sees that an unverified request needs checking."""
        await self._redis.xadd(
            redis_keys.CANCELLATION_REQUESTS_STREAM,
            {
                "request": json.dumps(asdict(request)),
                "verified": "true" if request.verified else "false",
                "user_id": request.user_id or "",
            },
        )

    async def cancellations(self) -> list[CancellationRequest]:
        entries = await self._redis.xrange(redis_keys.CANCELLATION_REQUESTS_STREAM)
        return [CancellationRequest(**json.loads(fields["request"])) for _, fields in entries]
