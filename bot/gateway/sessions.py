"""Session ids the gateway issues, and who the customer behind a session is.

A session id is ``<random>.<signature>``: 16 random bytes and the first 16 bytes of
an HMAC-SHA256 of them with the gateway's secret, both base64url (22 characters
each). Only the server can make one; a client can only present one it was given.
A presented id continues its conversation only if the signature holds, the
session record exists and is open, and the verified user (if any) matches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import anonymous_customer_key, chat_id
from bot.handoff.flood import FloodCaps
from bot.ownership import CLOSED
from bot.transcript import utc_timestamp

SESSION_TTL_SECONDS = 90 * 24 * 3600
"""A session record is kept this long after its last use."""

UNUSED_SESSION_TTL_SECONDS = 3600
"""A session in which the visitor has not written yet is kept only this long: opening
one costs a stranger nothing, so it must not cost us 90 days of memory."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class VerifiedUser:
    """A user id the host page vouched for with an HMAC of it."""

    user_id: str

    @property
    def customer_key(self) -> str:
        return f"user:{self.user_id}"


def identity_hash(user_id: str, identity_secret: str) -> str:
    """What the host page's server computes for ``user.hash`` (lowercase hex)."""
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(user_id: str, presented_hash: str, identity_secret: str) -> VerifiedUser | None:
    if not identity_secret:
        return None
    expected = identity_hash(user_id, identity_secret)
    genuine = hmac.compare_digest(expected.encode(), presented_hash.encode("utf-8", "replace"))
    return VerifiedUser(user_id) if genuine else None


class SessionSigner:
    """Makes and checks session ids with the gateway's secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 characters")
        self._key = secret.encode()

    def new_id(self) -> str:
        token = _b64(secrets.token_bytes(16))
        return f"{token}.{self._signature(token)}"

    def is_genuine(self, session_id: str) -> bool:
        token, dot, signature = session_id.partition(".")
        if not dot or len(token) != 22 or len(signature) != 22 or not session_id.isascii():
            return False
        return hmac.compare_digest(self._signature(token).encode(), signature.encode())

    def _signature(self, token: str) -> str:
        return _b64(hmac.new(self._key, token.encode(), hashlib.sha256).digest()[:16])


@dataclass(frozen=True)
class Session:
    """A conversation the gateway issued."""

    session_id: str
    customer_key: str
    verified_user_id: str | None
    closed: bool
    """The conversation is over (its owner is ``closed``); the id is not continued."""


class SessionStore:
    """Session records in Redis: ``session:<id>`` hashes."""

    def __init__(
        self, client: redis.Redis, signer: SessionSigner, handoff_caps: FloodCaps | None = None
    ) -> None:
        self.client = client
        self.signer = signer
        self.handoff_caps = handoff_caps or FloodCaps()
        """Recorded on each new session: the handoff action applies them (flood.py)."""

    async def resumable(self, presented_id: object, user: VerifiedUser | None) -> Session | None:
        """The presented session if it may be continued (its keys' lives are renewed)."""
        if not isinstance(presented_id, str) or not self.signer.is_genuine(presented_id):
            return None
        existing = await self.load(presented_id)
        if (
            existing is None
            or existing.closed
            or existing.verified_user_id != (user.user_id if user else None)
        ):
            return None
        if await self.client.exists(redis_keys.transcript_seq_key(existing.session_id)):
            await self.mark_used(existing)
        else:  # the chat id leads back to it as long as the record lives
            chat = redis_keys.chat_key(chat_id(existing.session_id))
            await self.client.set(chat, existing.session_id, ex=UNUSED_SESSION_TTL_SECONDS)
        return existing

    async def open(
        self, presented_id: object, user: VerifiedUser | None, client_ip: str = ""
    ) -> tuple[Session, bool]:
        """The presented session if it may be continued, else a new one; and which it was."""
        existing = await self.resumable(presented_id, user)
        if existing is not None:
            return existing, True
        return await self.create(user, client_ip), False

    async def create(self, user: VerifiedUser | None, client_ip: str = "") -> Session:
        """A new session: every key it makes expires, within the hour until the visitor
        writes (``mark_used``). ``client_ip`` is recorded (per-IP handoff caps)."""
        session_id = self.signer.new_id()
        # Not the session id: the customer key reaches agents (bot/chat_ids.py).
        customer_key = user.customer_key if user else anonymous_customer_key(session_id)
        key = redis_keys.session_key(session_id)
        conversations = redis_keys.customer_conversations_key(customer_key)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            key,
            mapping={
                "customer_key": customer_key,
                "verified_user_id": user.user_id if user else "",
                "created_at": utc_timestamp(),
                "client_ip": client_ip,
                **self.handoff_caps.session_fields(),
            },
        )
        pipe.expire(key, UNUSED_SESSION_TTL_SECONDS)
        # Not the session id: agents name the conversation by its chat id (bot/chat_ids.py).
        pipe.set(
            redis_keys.chat_key(chat_id(session_id)), session_id, ex=UNUSED_SESSION_TTL_SECONDS
        )
        pipe.zadd(conversations, {session_id: time.time()})
        # A verified customer's list of conversations outlives this one session.
        pipe.expire(conversations, SESSION_TTL_SECONDS if user else UNUSED_SESSION_TTL_SECONDS)
        await pipe.execute()
        return Session(session_id, customer_key, user.user_id if user else None, closed=False)

    async def mark_used(self, session: Session) -> None:
        """The visitor wrote: keep the session, the chat id that leads to it (the agent
        API), and its customer's list for 90 days."""
        pipe = self.client.pipeline(transaction=False)
        pipe.expire(redis_keys.session_key(session.session_id), SESSION_TTL_SECONDS)
        chat = redis_keys.chat_key(chat_id(session.session_id))
        pipe.set(chat, session.session_id, ex=SESSION_TTL_SECONDS)
        pipe.expire(
            redis_keys.customer_conversations_key(session.customer_key), SESSION_TTL_SECONDS
        )
        await pipe.execute()

    async def load(self, session_id: str) -> Session | None:
        """The session record, closed when its conversation is (bot/ownership.py decides)."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(redis_keys.session_key(session_id))
        pipe.get(redis_keys.owner_key(session_id))
        fields, owner = await pipe.execute()
        if not fields or b"customer_key" not in fields:
            return None
        verified = fields.get(b"verified_user_id", b"").decode()
        return Session(
            session_id=session_id,
            customer_key=fields[b"customer_key"].decode(),
            verified_user_id=verified or None,
            closed=owner == CLOSED.encode(),
        )
