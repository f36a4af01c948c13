"""Agents' console sessions: an HttpOnly cookie, a CSRF token, and a record in Redis.

Logging in makes a random token for the cookie and a separate random CSRF token. Redis
keeps only the token's SHA-256 (``agent-session:<hex digest>``: agent id, CSRF token,
creation time), so a copy of the database holds no usable cookie. The record expires
after ``ttl_seconds`` without use; each use starts that time again.

A session dies with the account: it records the agent's *generation* (a counter in
Redis that "log out everywhere" raises) and a stamp of their password hash. A session
whose generation is behind is refused and deleted on its next use, and the API and
the console socket refuse one whose stamp no longer matches the roster (the password
was changed) or whose agent is disabled.

Reads need the cookie; every state-changing call also needs the CSRF token in the
``X-CSRF-Token`` header. A page on another site can make the browser send the cookie
(SameSite=Strict already stops that in current browsers) but cannot read the token,
which the console gets only from the login answer or ``GET /api/agent/me``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import redis.asyncio as redis
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis_keys
from bot.redis_keys import decoded
from bot.transcript import utc_timestamp

COOKIE_NAME = "agent_session"
CSRF_HEADER = "X-CSRF-Token"
DEFAULT_TTL_SECONDS = 12 * 3600

TOKEN_BYTES = 32
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
"""What a token we issued can look like (32 random bytes are 43 base64url characters);
anything else is refused without asking Redis."""


class AuthError(Exception):
    """A request the agent API refuses before doing anything; ``status`` and ``error``
    make its JSON answer (no data besides ``detail``)."""

    status = 401
    error = "unauthorised"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotAuthenticated(AuthError):
    """No session cookie, or its session expired or ended: 401."""


class CsrfRejected(AuthError):
    """A state-changing call without the session's CSRF token: 403."""

    status = 403
    error = "csrf"


@dataclass(frozen=True)
class AgentSession:
    """A logged-in console session."""

    agent_id: str
    csrf: str
    digest: str
    """The SHA-256 (hex) of the cookie's token: names the session in events and logs
    without revealing the token."""
    password_stamp: str = ""
    """``password_stamp`` of the agent's password hash when they logged in."""

    def matches(self, password_hash: str) -> bool:
        """Whether the session was made under this password hash (not changed since)."""
        return bool(self.password_stamp) and hmac.compare_digest(
            self.password_stamp, password_stamp(password_hash)
        )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def password_stamp(password_hash: str) -> str:
    """A short digest of a bcrypt hash: tells a changed password without storing it."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


class AgentSessions:
    """Creates, loads and ends agents' console sessions."""

    def __init__(self, client: redis.Redis, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        self.client = client
        self.ttl_seconds = ttl_seconds

    async def create(self, agent_id: str, password_hash: str = "") -> tuple[str, str]:
        """A new session for ``agent_id`` (logged in with the password whose hash is
        ``password_hash``): the cookie's token and the CSRF token."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        csrf = secrets.token_urlsafe(TOKEN_BYTES)
        key = redis_keys.agent_session_key(token_digest(token))
        generation = await self.client.get(redis_keys.agent_generation_key(agent_id))
        fields = {
            "agent_id": agent_id,
            "csrf": csrf,
            "created_at": utc_timestamp(),
            "generation": decoded(generation) if generation is not None else "0",
            "password_stamp": password_stamp(password_hash) if password_hash else "",
        }
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self.ttl_seconds)
            await pipe.execute()
        return token, csrf

    async def load(self, token: object) -> AgentSession | None:
        """The session of a cookie's token (its expiry starts again); ``None`` for a
        token that is malformed, unknown, expired, ended or revoked."""
        if not isinstance(token, str) or not _TOKEN_PATTERN.match(token):
            return None
        return await self.load_digest(token_digest(token))

    async def load_digest(self, digest: str) -> AgentSession | None:
        """The session with this digest, if still live (its expiry starts again); a
        revoked one (its agent's generation moved on) is deleted and ``None``."""
        key = redis_keys.agent_session_key(digest)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.ttl_seconds)
            fields, _ = await pipe.execute()
        stored = {decoded(k): decoded(v) for k, v in fields.items()}
        agent_id = stored.get("agent_id")
        if not agent_id or not stored.get("csrf"):
            return None
        current = await self.client.get(redis_keys.agent_generation_key(agent_id))
        if stored.get("generation", "") != (decoded(current) if current is not None else "0"):
            await self.client.delete(key)
            return None
        return AgentSession(
            agent_id=agent_id,
            csrf=stored["csrf"],
            digest=digest,
            password_stamp=stored.get("password_stamp", ""),
        )

    async def revoke_all(self, agent_id: str) -> None:
        """End every session of ``agent_id`` at once ("log out everywhere"): each is
        refused, and deleted, the next time it is used."""
        await self.client.incr(redis_keys.agent_generation_key(agent_id))

    async def end_digest(self, digest: str) -> None:
        await self.client.delete(redis_keys.agent_session_key(digest))

    async def end(self, token: object) -> None:
        """Forget the session (logging out); a malformed or unknown token is ignored."""
        if isinstance(token, str) and _TOKEN_PATTERN.match(token):
            await self.client.delete(redis_keys.agent_session_key(token_digest(token)))


# The cookie.


def session_token_from_cookie_header(cookie_header: str | None) -> str | None:
    """The ``agent_session`` cookie's value in a raw Cookie header, if any.

    Parsed by hand: ``http.cookies.SimpleCookie`` (what Sanic uses) stops at the first
    cookie it dislikes, so another site's odd cookie on the same host could hide ours.
    """
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        name, equals, value = part.strip().partition("=")
        if equals and name.strip() == COOKIE_NAME:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if _TOKEN_PATTERN.match(value):
                return value
    return None


def request_session_token(request: Request) -> str | None:
    return session_token_from_cookie_header("; ".join(request.headers.getall("cookie", [])))


def request_is_https(request: Request) -> bool:
    """Whether the browser reached us over https (directly or through a proxy that says
    so in X-Forwarded-Proto)."""
    forwarded = request.headers.getone("x-forwarded-proto", "")
    return request.scheme == "https" or forwarded.split(",")[0].strip().lower() == "https"


def _cookie_attributes(response: HTTPResponse, request: Request) -> None:
    cookie = response.cookies[COOKIE_NAME]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    if request_is_https(request):
        cookie["secure"] = True


def set_session_cookie(response: HTTPResponse, request: Request, token: str) -> None:
    """Set the session cookie on ``response``: HttpOnly, SameSite=Strict, Path=/, Secure
    over https. It has no Max-Age: Redis decides when the session ends."""
    response.cookies[COOKIE_NAME] = token
    _cookie_attributes(response, request)


def clear_session_cookie(response: HTTPResponse, request: Request) -> None:
    """Make the browser drop the session cookie."""
    response.cookies[COOKIE_NAME] = ""
    response.cookies[COOKIE_NAME]["max-age"] = 0
    _cookie_attributes(response, request)


# Checking a request.


def csrf_matches(session: AgentSession, presented: str | None) -> bool:
    """Whether ``presented`` is the session's CSRF token (in constant time)."""
    if not presented:
        return False
    return hmac.compare_digest(
        presented.encode("utf-8", "replace"), session.csrf.encode("utf-8", "replace")
    )


async def authenticate(
    request: Request, sessions: AgentSessions, *, state_changing: bool
) -> AgentSession:
    """The request's console session; ``NotAuthenticated`` without a live one,
    ``CsrfRejected`` when a state-changing call lacks the session's CSRF token."""
    token = request_session_token(request)
    if token is None:
        raise NotAuthenticated("log in first: no agent session cookie")
    session = await sessions.load(token)
    if session is None:
        raise NotAuthenticated("the session has expired or ended: log in again")
    if state_changing:
        presented = request.headers.getone(CSRF_HEADER.lower(), None)
        if presented is None:
            raise CsrfRejected(f"the {CSRF_HEADER} header is missing")
        if not csrf_matches(session, presented):
            raise CsrfRejected(f"the {CSRF_HEADER} header does not match the session")
    return session


async def agent_from_cookie_header(
    cookie_header: str | None, sessions: AgentSessions
) -> AgentSession | None:
    """The console session of a socket.io connection, from its environ's HTTP_COOKIE."""
    token = session_token_from_cookie_header(cookie_header)
    return await sessions.load(token) if token is not None else None
