"""bot/gateway/agent_auth.py on the real test Redis, and over HTTP on a real Sanic server
(in this test's event loop): sessions, expiry, garbage tokens, CSRF and the cookie."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot import redis_keys
from bot.embedded_redis import free_port
from bot.gateway.agent_auth import (
    COOKIE_NAME,
    CSRF_HEADER,
    AgentSession,
    AgentSessions,
    AuthError,
    agent_from_cookie_header,
    authenticate,
    clear_session_cookie,
    csrf_matches,
    session_token_from_cookie_header,
    set_session_cookie,
)


@asynccontextmanager
async def running_app(app: Sanic) -> AsyncIterator[str]:
    """``app`` served on a free port in the running event loop; its base URL.

    Needs ``Sanic.test_mode`` (the ``sanic_test_mode`` fixture): Sanic 21.12 rewrites
    its request parser when an app starts, and without test mode a second app in the
    same process fails to start (sanic-testing sets the same flag)."""
    assert Sanic.test_mode
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        closing = server.close()
        if closing is not None:
            await closing


def new_app(prefix: str) -> Sanic:
    return Sanic(f"{prefix}_{secrets.token_hex(6)}", configure_logging=False)


@pytest.fixture
def sessions(client) -> AgentSessions:
    return AgentSessions(client, ttl_seconds=600)


async def test_a_created_session_loads_with_its_agent_and_csrf_token(sessions, client) -> None:
    token, csrf = await sessions.create("maria")
    session = await sessions.load(token)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert session == AgentSession(agent_id="maria", csrf=csrf, digest=digest)
    assert len(token) >= 43 and len(csrf) >= 43 and token != csrf
    stored = await client.hgetall(redis_keys.agent_session_key(digest))
    assert stored[b"agent_id"] == b"maria" and stored[b"csrf"] == csrf.encode()
    assert stored[b"created_at"]
    # Only the digest is stored: the token itself appears in no key.
    assert not await client.keys(f"*{token}*")
    assert 590 <= await client.ttl(redis_keys.agent_session_key(digest)) <= 600


async def test_every_session_is_different(sessions) -> None:
    first, second = await sessions.create("maria"), await sessions.create("maria")
    assert first[0] != second[0] and first[1] != second[1]


async def test_loading_starts_the_expiry_again(sessions, client) -> None:
    token, _ = await sessions.create("maria")
    key = redis_keys.agent_session_key(hashlib.sha256(token.encode()).hexdigest())
    await client.expire(key, 5)
    assert await sessions.load(token) is not None
    assert await client.ttl(key) > 500


async def test_an_expired_session_does_not_load(sessions, client) -> None:
    token, _ = await sessions.create("maria")
    key = redis_keys.agent_session_key(hashlib.sha256(token.encode()).hexdigest())
    await client.pexpire(key, 50)
    await asyncio.sleep(0.15)
    assert await sessions.load(token) is None
    assert not await client.exists(key), "loading must not bring an expired session back"


async def test_an_ended_session_does_not_load(sessions) -> None:
    token, _ = await sessions.create("maria")
    await sessions.end(token)
    assert await sessions.load(token) is None


@pytest.mark.parametrize(
    "token",
    [
        None,
        123,
        b"bytes-token-bytes-token-bytes-token-bytes-token",
        "",
        "short",
        "x" * 129,
        "ü" * 43,
        "../../../../etc/passwd/../../../../etc/passwd/../..",
        "a b" * 20,
        "*" * 43,
    ],
)
async def test_garbage_tokens_load_nothing_and_end_nothing(sessions, token) -> None:
    assert await sessions.load(token) is None
    await sessions.end(token)


async def test_a_well_formed_unknown_token_loads_nothing(sessions) -> None:
    assert await sessions.load(secrets.token_urlsafe(32)) is None


def test_a_ttl_below_one_second_is_refused(client) -> None:
    with pytest.raises(ValueError):
        AgentSessions(client, ttl_seconds=0)


def test_csrf_tokens_are_compared_exactly() -> None:
    session = AgentSession(agent_id="maria", csrf="the-right-token", digest="d")
    assert csrf_matches(session, "the-right-token")
    for wrong in (None, "", "the-right-toke", "the-right-token ", "THE-RIGHT-TOKEN", "ü\x00"):
        assert not csrf_matches(session, wrong)


def test_the_session_cookie_is_found_among_others_even_after_a_malformed_one() -> None:
    token = secrets.token_urlsafe(32)
    assert session_token_from_cookie_header(f"{COOKIE_NAME}={token}") == token
    assert session_token_from_cookie_header(f'a="b; c=[d]; {COOKIE_NAME}="{token}"; e=f') == token
    assert session_token_from_cookie_header(f"x{COOKIE_NAME}={token}") is None
    assert session_token_from_cookie_header(f"{COOKIE_NAME}=not valid") is None
    assert session_token_from_cookie_header("") is None
    assert session_token_from_cookie_header(None) is None


async def test_the_socket_finds_the_session_from_the_raw_cookie_header(sessions) -> None:
    token, csrf = await sessions.create("tom")
    session = await agent_from_cookie_header(f"theme=dark; {COOKIE_NAME}={token}", sessions)
    assert session is not None and session.agent_id == "tom" and session.csrf == csrf
    assert await agent_from_cookie_header("theme=dark", sessions) is None
    assert await agent_from_cookie_header(None, sessions) is None
    unknown = f"{COOKIE_NAME}={secrets.token_urlsafe(32)}"
    assert await agent_from_cookie_header(unknown, sessions) is None


# Over HTTP: the cookie's attributes and authenticate() on real requests.


@pytest.fixture
async def auth_server(sessions, sanic_test_mode) -> AsyncIterator[str]:
    app = new_app("agent_auth_test")

    @app.post("/login/<agent_id>")
    async def login(request: Request, agent_id: str) -> HTTPResponse:
        token, csrf = await sessions.create(agent_id)
        response = json({"csrf": csrf})
        set_session_cookie(response, request, token)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        response = json({})
        clear_session_cookie(response, request)
        return response

    async def checked(request: Request, writes: bool) -> HTTPResponse:
        try:
            session = await authenticate(request, sessions, state_changing=writes)
        except AuthError as error:
            return json({"error": error.error, "detail": error.detail}, status=error.status)
        return json({"agent_id": session.agent_id})

    @app.get("/read")
    async def read(request: Request) -> HTTPResponse:
        return await checked(request, writes=False)

    @app.post("/write")
    async def write(request: Request) -> HTTPResponse:
        return await checked(request, writes=True)

    async with running_app(app) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


def cookie_parts(reply: aiohttp.ClientResponse) -> tuple[str, set[str]]:
    headers = reply.headers.getall("Set-Cookie")
    assert len(headers) == 1, headers
    first, *attributes = (part.strip() for part in headers[0].split(";"))
    return first, {attribute.lower() for attribute in attributes}


async def test_the_cookie_is_httponly_strict_and_site_wide(auth_server, http, sessions) -> None:
    async with http.post(f"{auth_server}/login/maria") as reply:
        first, attributes = cookie_parts(reply)
    name, _, token = first.partition("=")
    assert name == COOKIE_NAME
    assert (await sessions.load(token)).agent_id == "maria"
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes, "plain http: a Secure cookie would never come back"
    assert not any(a.startswith(("max-age", "expires")) for a in attributes)


async def test_the_cookie_is_secure_behind_an_https_proxy(auth_server, http) -> None:
    async with http.post(
        f"{auth_server}/login/maria", headers={"X-Forwarded-Proto": "https"}
    ) as reply:
        _, attributes = cookie_parts(reply)
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= attributes


async def test_clearing_the_cookie_expires_it_with_the_same_attributes(auth_server, http) -> None:
    async with http.post(f"{auth_server}/logout") as reply:
        first, attributes = cookie_parts(reply)
    assert first in (f"{COOKIE_NAME}=", f'{COOKIE_NAME}=""')
    assert {"max-age=0", "httponly", "samesite=strict", "path=/"} <= attributes


async def test_authenticate_needs_a_live_session_and_csrf_for_writes(
    auth_server, http, sessions
) -> None:
    token, csrf = await sessions.create("maria")
    cookie = {"Cookie": f"{COOKIE_NAME}={token}"}

    async def call(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
        async with http.request(method, f"{auth_server}{path}", headers=headers) as reply:
            return reply.status, await reply.json()

    assert await call("GET", "/read", cookie) == (200, {"agent_id": "maria"})
    assert await call("POST", "/write", {**cookie, CSRF_HEADER: csrf}) == (
        200,
        {"agent_id": "maria"},
    )
    status, body = await call("GET", "/read", {})
    assert status == 401 and body["error"] == "unauthorised"
    status, body = await call("POST", "/write", {CSRF_HEADER: csrf})
    assert status == 401 and body["error"] == "unauthorised", "no cookie: 401 before CSRF"
    status, body = await call("POST", "/write", cookie)
    assert status == 403 and body["error"] == "csrf" and "missing" in body["detail"]
    status, body = await call("POST", "/write", {**cookie, CSRF_HEADER: csrf[:-1]})
    assert status == 403 and body["error"] == "csrf"
    _, other_csrf = await sessions.create("tom")
    status, body = await call("POST", "/write", {**cookie, CSRF_HEADER: other_csrf})
    assert status == 403 and body["error"] == "csrf", "another session's token does not do"

    await sessions.end(token)
    status, body = await call("GET", "/read", cookie)
    assert status == 401 and body["error"] == "unauthorised"
    assert set(body) == {"error", "detail"}


async def test_a_sockets_session_is_live_until_it_ends(sessions) -> None:
    token, _ = await sessions.create("tom")
    session = await sessions.load(token)
    assert session is not None

    assert await sessions.load_digest(session.digest) == session
    await sessions.end(token)
    assert await sessions.load_digest(session.digest) is None
    assert await sessions.load_digest("0" * 64) is None


async def test_log_out_everywhere_ends_every_session_of_that_agent_only(sessions) -> None:
    first, _ = await sessions.create("tom", "$2b$12$hash-one")
    second, _ = await sessions.create("tom", "$2b$12$hash-one")
    other, _ = await sessions.create("maria", "$2b$12$hash-two")

    await sessions.revoke_all("tom")

    assert await sessions.load(first) is None
    assert await sessions.load(second) is None
    assert await sessions.load(other) is not None
    again, _ = await sessions.create("tom", "$2b$12$hash-one")
    assert await sessions.load(again) is not None, "a login after the revocation works"


async def test_a_session_remembers_the_password_it_was_made_under(sessions) -> None:
    token, _ = await sessions.create("tom", "$2b$12$old-hash")
    session = await sessions.load(token)

    assert session.matches("$2b$12$old-hash")
    assert not session.matches("$2b$12$new-hash")
    unstamped, _ = await sessions.create("tom")
    assert not (await sessions.load(unstamped)).matches(""), "no stamp matches nothing"
