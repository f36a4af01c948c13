"""The agents' HTTP API (bot/gateway/agent_api.py) in process: the blueprint on a real
Sanic server in the test's event loop, real Redis, a real desk and roster, called over
HTTP with aiohttp as a browser console would (cookie + CSRF header)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest
import redis.asyncio as redis
from sanic import Sanic

from bot import redis_keys
from bot.agents.avatars import avatar_id
from bot.agents.login_guard import LoginGuard, LoginLimits
from bot.agents.presence import Presence
from bot.agents.roster import RosterCache
from bot.chat_ids import chat_id
from bot.console.canned_replies import CannedRepliesFile
from bot.embedded_redis import free_port
from bot.gateway.agent_api import AgentApi, AgentApiServices, create_agent_api
from bot.gateway.agent_auth import COOKIE_NAME, CSRF_HEADER, AgentSessions
from bot.gateway.agent_login import AgentLogin
from bot.gateway.client_ip import TrustedProxies
from bot.gateway.known_device import KnownDevices
from bot.gateway.sessions import SessionSigner, SessionStore, VerifiedUser
from bot.handoff.desk import HandoffDesk, Routed, agent_sender
from bot.handoff.packet import PACKET_VERSION
from bot.retention import RetentionPolicy
from bot.transcript import Transcript
from tests.unit.test_agent_auth import running_app

PASSWORDS = {
    "maria": "maria-test-pass",
    "tom": "tom-test-pass",
    "priya": "priya-test-pass",
    "olga": "olga-test-pass",
}
SKILLS = {"billing", "refund", "late_delivery", "wrong_item"}
CANNED_REPLIES = """
replies:
  - title: Hello
    text: Hi, this is {agent}. I've read everything.
  - title: Bye
    text: |-
      Take care.
      {agent}
"""
PACKET = {"version": PACKET_VERSION, "category": "billing", "entities": {"order_id": "61234"}}


def roster_yaml(hashes: dict[str, str]) -> str:
    return f"""
agents:
  maria:
    name: Maria Lopez
    team: billing
    skills: [billing, refund]
    max_chats: 3
    role: supervisor
    password_hash: "{hashes["maria"]}"
  tom:
    name: Tom Berg
    team: delivery
    skills: [late_delivery]
    max_chats: 1
    password_hash: "{hashes["tom"]}"
  priya:
    name: Priya Shah
    team: billing
    skills: [billing, wrong_item]
    password_hash: "{hashes["priya"]}"
  olga:
    name: Olga Petrova
    team: billing
    skills: [billing]
    disabled: true
    password_hash: "{hashes["olga"]}"
"""


@pytest.fixture(scope="module")
def password_hashes() -> dict[str, str]:
    """Cost 10, the lowest the roster accepts (hash_password always uses 12)."""
    return {
        agent_id: bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
        for agent_id, password in PASSWORDS.items()
    }


@pytest.fixture
async def flushed(client) -> redis.Redis:
    await client.flushdb()
    return client


@pytest.fixture
def services(flushed, tmp_path: Path, password_hashes) -> AgentApiServices:
    canned_path = tmp_path / "canned_replies.yml"
    canned_path.write_text(CANNED_REPLIES, encoding="utf-8")
    roster_path = tmp_path / "agents.yml"
    roster_path.write_text(roster_yaml(password_hashes), encoding="utf-8")
    transcript = Transcript(flushed)
    desk = HandoffDesk(
        flushed, transcript, RosterCache(roster_path, SKILLS), Presence(flushed), kick=None
    )
    return AgentApiServices(
        client=flushed,
        desk=desk,
        transcript=transcript,
        sessions=AgentSessions(flushed),
        login=login_checks_for_tests(flushed),
        canned_replies=CannedRepliesFile(canned_path),
    )


LIMITS = LoginLimits(source_failures=5, id_failures=8)
"""Five failures per source, eight per id from browsers that are no known device."""


def login_checks_for_tests(client: redis.Redis) -> AgentLogin:
    """The login checks the gateway makes, trusting the test's own address as a proxy
    (so a test names the client's address in X-Forwarded-For)."""
    return AgentLogin(
        guard=LoginGuard(client, LIMITS),
        devices=KnownDevices(b"unit-test-known-device-secret"),
        trusted_proxies=TrustedProxies.parse("127.0.0.1, ::1"),
    )


@dataclass
class Server:
    url: str
    services: AgentApiServices
    swapped: dict[str, AgentApiServices] = field(default_factory=dict)
    """Services to use instead (a test that breaks Redis)."""

    def current(self) -> AgentApiServices:
        return self.swapped.get("services", self.services)


@pytest.fixture
async def server(services, sanic_test_mode) -> AsyncIterator[Server]:
    app = Sanic(f"agent_api_test_{secrets.token_hex(6)}", configure_logging=False)
    holder = Server(url="", services=services)
    app.blueprint(create_agent_api(holder.current))
    async with running_app(app) as url:
        holder.url = url
        yield holder


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Console:
    """One browser console: keeps its cookie and CSRF token, sends them unless told not to."""

    def __init__(self, http: aiohttp.ClientSession, server: Server) -> None:
        self.http = http
        self.server = server
        self.token: str | None = None
        self.csrf: str | None = None
        self.extra_headers: dict[str, str] = {}
        """Sent with ``login_from`` (the known-device cookie once a login set it)."""

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        cookie: bool = True,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if cookie and self.token:
            sent["Cookie"] = f"{COOKIE_NAME}={self.token}"
        if csrf and self.csrf:
            sent[CSRF_HEADER] = self.csrf
        url = f"{self.server.url}/api/agent{path}"
        kwargs: dict[str, Any] = {"json": body} if data is None else {"data": data}
        async with self.http.request(method, url, headers=sent, **kwargs) as reply:
            text = await reply.text()
            answer = Reply(reply.status, json.loads(text) if text else None, reply.headers)
        for cookie in answer.headers.getall("Set-Cookie", []):
            if cookie.startswith("agent_device="):
                self.extra_headers["Cookie"] = cookie.split(";")[0]
        if path == "/login" and answer.status == 200:
            session_cookie = answer.headers.getall("Set-Cookie")[0]
            self.token = session_cookie.split(";")[0].partition("=")[2]
            self.csrf = answer.body["csrf_token"]
        return answer

    async def login(self, agent_id: str, password: str | None = None) -> Reply:
        reply = await self.call(
            "POST",
            "/login",
            {"agent_id": agent_id, "password": password or PASSWORDS[agent_id]},
            cookie=False,
        )
        return reply


@pytest.fixture
def console(http, server) -> Callable[[], Console]:
    return lambda: Console(http, server)


@pytest.fixture
async def maria(console) -> Console:
    agent = console()
    assert (await agent.login("maria")).status == 200
    return agent


@pytest.fixture
async def tom(console) -> Console:
    agent = console()
    assert (await agent.login("tom")).status == 200
    return agent


@pytest.fixture
def store(flushed) -> SessionStore:
    return SessionStore(flushed, SessionSigner("unit-test-session-secret-0123"))


async def queued_chat(
    services: AgentApiServices, store: SessionStore, user: str = "u1", summary: str = "Charged"
) -> str:
    session = await store.create(VerifiedUser(user))
    fields = {
        "customer_key": session.customer_key,
        "summary": summary,
        "category": "billing",
        "trigger": "customer_request",
        "packet": json.dumps(PACKET),
    }
    transition = await services.desk.queue_conversation(
        session.session_id, Routed(decision=None, agent=None), fields
    )
    assert transition.ok
    return session.session_id


async def claimed_chat(
    services: AgentApiServices, store: SessionStore, agent: Console, user: str = "u1"
) -> str:
    session_id = await queued_chat(services, store, user)
    chat = chat_id(session_id)
    reply = await agent.call("POST", f"/chats/{chat}/claim")
    assert reply.status == 200, reply.body
    return session_id


@pytest.fixture
async def events(flushed) -> AsyncIterator[redis.client.PubSub]:
    """Listening on both pub/sub channels (confirmed before the test goes on)."""
    pubsub = flushed.pubsub()
    await pubsub.subscribe(redis_keys.CONVERSATION_EVENTS_CHANNEL, redis_keys.AGENT_EVENTS_CHANNEL)
    confirmed = 0
    for _ in range(100):
        message = await pubsub.get_message(timeout=0.1)
        confirmed += bool(message and message["type"] == "subscribe")
        if confirmed == 2:
            break
    assert confirmed == 2
    yield pubsub
    await pubsub.unsubscribe()
    await pubsub.close()


async def published(pubsub: redis.client.PubSub, wanted: Callable[[dict], bool]) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is not None:
            decoded = json.loads(message["data"])
            if wanted(decoded):
                return decoded
    raise AssertionError("the event was not published")


def route_table() -> list[tuple[str, str, bool]]:
    """(method, path template, state-changing) of every endpoint but login."""
    return [
        (method, path, bool(access.get("writes")))
        for method, path, _, access in AgentApi(lambda: None).routes()  # type: ignore[arg-type, return-value]
        if not access.get("public")
    ]


def concrete(path: str, chat: str, other_chat: str, customer: str = "user:u1") -> str:
    return (
        path.replace("<chat_id>", chat)
        .replace("<other_id>", other_chat)
        .replace("<customer>", customer)
    )


# Logging in and out.


async def test_login_sets_an_httponly_strict_cookie_and_answers_the_csrf_token(
    console, services
) -> None:
    agent = console()
    reply = await agent.login("maria")
    assert reply.status == 200
    profile = services.desk.roster().get("maria")
    assert reply.body == {"agent": profile.public(), "csrf_token": agent.csrf}
    assert "password_hash" not in json.dumps(reply.body)
    session_cookie, device_cookie = reply.headers.getall("Set-Cookie")
    attributes = {part.strip().lower() for part in session_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert device_cookie.startswith("agent_device=v1~maria~")
    attributes = {part.strip().lower() for part in device_cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/api/agent"} <= attributes
    assert await services.desk.presence.status("maria") == "online"
    me = await agent.call("GET", "/me")
    assert me.status == 200
    assert me.body == {"agent": profile.public(), "status": "online", "csrf_token": agent.csrf}
    assert me.headers["Cache-Control"] == "no-store"


async def test_login_accepts_the_id_as_typed_in_any_case(console) -> None:
    reply = await console().login("  Maria ", PASSWORDS["maria"])
    assert reply.status == 200 and reply.body["agent"]["id"] == "maria"


async def test_a_wrong_password_an_unknown_id_and_a_disabled_agent_look_the_same(
    console,
) -> None:
    agent = console()
    answers = [
        await agent.login("maria", "not-marias-password"),
        await agent.login("nobody", "whatever-password"),
        await agent.login("olga", PASSWORDS["olga"]),
    ]
    for reply in answers:
        assert reply.status == 401
        assert reply.body == {"error": "invalid_credentials", "detail": answers[0].body["detail"]}
        assert "Set-Cookie" not in reply.headers
    assert agent.token is None


def source(address: str) -> dict[str, str]:
    """Headers of a login coming from ``address`` (through the trusted local proxy)."""
    return {"X-Forwarded-For": address}


async def login_from(
    agent: Console, address: str, password: str | None = None, agent_id: str = "maria"
) -> Reply:
    return await agent.call(
        "POST",
        "/login",
        {"agent_id": agent_id, "password": password or PASSWORDS[agent_id]},
        cookie=False,
        headers={**source(address), **agent.extra_headers},
    )


async def test_a_failing_source_must_wait_but_the_agent_elsewhere_gets_in(console) -> None:
    attacker = console()
    statuses = [
        (await login_from(attacker, "203.0.113.7", "wrong-password")).status for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 401, 429]
    waiting = await login_from(attacker, "203.0.113.7")  # even the right password waits
    assert waiting.status == 429
    assert waiting.body["error"] == "throttled"
    assert 0 < waiting.body["retry_after_seconds"] <= LIMITS.max_delay_seconds
    assert waiting.headers["Retry-After"] == str(waiting.body["retry_after_seconds"])
    assert "Set-Cookie" not in waiting.headers
    assert (await login_from(console(), "198.51.100.2")).status == 200, "the agent is not locked"


async def test_the_wait_grows_with_every_failure_after_the_limit(console, services) -> None:
    attacker = console()
    for _ in range(LIMITS.source_failures):
        assert (await login_from(attacker, "203.0.113.7", "wrong-password")).status == 401
    first = (await login_from(attacker, "203.0.113.7", "wrong-password")).body
    await services.client.delete(redis_keys.login_block_key("source:203.0.113.7"))
    assert (await login_from(attacker, "203.0.113.7", "wrong-password")).status == 401
    second = (await login_from(attacker, "203.0.113.7", "wrong-password")).body
    assert second["retry_after_seconds"] == 2 * first["retry_after_seconds"]


async def test_parallel_guesses_cannot_pass_the_check_together(console) -> None:
    attacker = console()
    replies = await asyncio.gather(
        *(login_from(attacker, "203.0.113.7", "wrong-password") for _ in range(40))
    )
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [401] * LIMITS.source_failures + [429] * (40 - LIMITS.source_failures)
    assert (await login_from(console(), "198.51.100.2")).status == 200


async def test_many_sources_slow_the_id_down_only_for_unknown_browsers(console) -> None:
    usual = console()
    assert (await login_from(usual, "198.51.100.2")).status == 200  # a known device now
    for index in range(LIMITS.id_failures):
        reply = await login_from(console(), f"203.0.113.{index + 10}", "wrong-password")
        assert reply.status == 401
    stranger = await login_from(console(), "192.0.2.99")
    assert stranger.status == 429 and stranger.body["error"] == "throttled"
    again = await login_from(usual, "198.51.100.2")
    assert again.status == 200, "the agent's usual browser still gets in"


async def test_a_known_device_gets_in_from_a_throttled_network(console) -> None:
    agent = console()
    assert (await login_from(agent, "203.0.113.7")).status == 200
    attacker = console()
    for _ in range(LIMITS.source_failures + 1):
        await login_from(attacker, "203.0.113.7", "wrong-password")
    assert (await login_from(console(), "203.0.113.7")).status == 429, "the network waits"
    assert (await login_from(agent, "203.0.113.7")).status == 200, "the agent's browser does not"


async def test_a_known_device_cookie_is_for_one_agent_and_cannot_be_forged(console) -> None:
    agent = console()
    assert (await login_from(agent, "203.0.113.7")).status == 200
    attacker = console()
    for _ in range(LIMITS.source_failures + 1):
        await login_from(attacker, "203.0.113.7", "wrong-password", agent_id="tom")
    borrowed = await login_from(agent, "203.0.113.7", agent_id="tom")
    assert borrowed.status == 429, "maria's device cookie does not speak for tom"
    for _ in range(LIMITS.source_failures + 1):
        await login_from(attacker, "203.0.113.7", "wrong-password")
    forged = console()
    forged.extra_headers["Cookie"] = agent.extra_headers["Cookie"][:-3] + "abc"
    assert (await login_from(forged, "203.0.113.7")).status == 429


async def test_a_success_is_not_counted_as_a_failure(console) -> None:
    agent = console()
    for _ in range(LIMITS.source_failures - 1):
        assert (await login_from(agent, "203.0.113.7", "wrong-password")).status == 401
    assert (await login_from(console(), "203.0.113.7")).status == 200
    assert (await login_from(agent, "203.0.113.7", "wrong-password")).status == 401
    assert (await login_from(agent, "203.0.113.7", "wrong-password")).status == 429


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(console, services) -> None:
    services.login = AgentLogin(
        guard=services.login.guard, devices=services.login.devices, trusted_proxies=TrustedProxies()
    )
    attacker = console()
    for index in range(LIMITS.source_failures + 1):  # a new "address" every time
        await login_from(attacker, f"203.0.113.{index}", "wrong-password")
    assert (await login_from(console(), "198.51.100.2")).status == 429, "all one source"


async def test_a_published_demo_password_is_refused_outside_demo_mode(console, services) -> None:
    roster_path = services.desk.roster_cache.path
    demo_hash = bcrypt.hashpw(b"maria-demo-pass", bcrypt.gensalt(10)).decode()
    maria_hash = services.desk.roster().get("maria").password_hash
    roster_path.write_text(roster_path.read_text().replace(maria_hash, demo_hash))
    reply = await console().login("maria", "maria-demo-pass")
    assert reply.status == 403 and reply.body["error"] == "demo_password"
    assert "Set-Cookie" not in reply.headers


@pytest.mark.parametrize(
    ("data", "content_type", "field_named"),
    [
        (b"{not json", "application/json", "JSON"),
        (b"[1, 2]", "application/json", "object"),
        (b'{"agent_id": "maria"}', "application/json", "password"),
        (b'{"agent_id": 7, "password": "x"}', "application/json", "agent_id"),
        (b'{"agent_id": "maria", "password": ""}', "application/json", "password"),
        (b'{"agent_id": "maria", "password": "maria-test-pass"}', "text/plain", "Content-Type"),
    ],
)
async def test_malformed_logins_are_400(console, data, content_type, field_named) -> None:
    reply = await console().call(
        "POST", "/login", data=data, headers={"Content-Type": content_type}
    )
    assert reply.status == 400
    assert reply.body["error"] == "invalid_payload" and field_named in reply.body["detail"]


async def test_a_body_over_16_kb_is_413(console, maria, services, store) -> None:
    big = {"agent_id": "maria", "password": "x" * (17 * 1024)}
    assert (await console().call("POST", "/login", big)).status == 413
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    reply = await maria.call("POST", f"/chats/{chat}/messages", {"text": "y" * 17000})
    assert reply.status == 413 and reply.body["error"] == "payload_too_large"


async def test_logout_ends_the_session_everywhere(maria, services, events) -> None:
    old_token = maria.token
    reply = await maria.call("POST", "/logout")
    assert reply.status == 200
    cleared = reply.headers.getall("Set-Cookie")[0].lower()
    assert "max-age=0" in cleared and "httponly" in cleared
    assert await services.desk.presence.status("maria") == "offline"
    ended = await published(events, lambda m: m.get("type") == "session_ended")
    assert ended["agent_id"] == "maria" and len(ended["session"]) == 64
    assert old_token not in json.dumps(ended)
    again = await maria.call("GET", "/me")
    assert again.status == 401 and again.body["error"] == "unauthorised"


async def test_logging_in_again_ends_the_session_the_browser_had(console, services) -> None:
    agent = console()
    await agent.login("maria")
    old_token = agent.token
    reply = await agent.call(
        "POST",
        "/login",
        {"agent_id": "maria", "password": PASSWORDS["maria"]},
    )
    assert reply.status == 200
    assert await services.sessions.load(old_token) is None


async def test_a_password_change_ends_the_agents_sessions(maria, tom, services) -> None:
    roster_path = services.desk.roster_cache.path
    old_hash = services.desk.roster().get("maria").password_hash
    new_hash = bcrypt.hashpw(b"maria-new-pass-1", bcrypt.gensalt(10)).decode()
    roster_path.write_text(roster_path.read_text().replace(old_hash, new_hash))
    reply = await maria.call("GET", "/me")
    assert reply.status == 401 and reply.body["error"] == "unauthorised"
    assert await services.sessions.load(maria.token) is None
    assert (await tom.call("GET", "/me")).status == 200


async def test_log_out_everywhere_ends_every_session_of_the_agent(
    console, maria, tom, services, events
) -> None:
    elsewhere = console()
    assert (await elsewhere.login("maria")).status == 200
    reply = await maria.call("POST", "/logout-everywhere")
    assert reply.status == 200 and reply.body == {"ok": True}
    assert "max-age=0" in reply.headers.getall("Set-Cookie")[0].lower()
    revoked = await published(events, lambda m: m.get("type") == "sessions_revoked")
    assert revoked["agent_id"] == "maria"
    for console_of_maria in (maria, elsewhere):
        again = await console_of_maria.call("GET", "/me")
        assert again.status == 401 and again.body["error"] == "unauthorised"
    assert (await tom.call("GET", "/me")).status == 200, "only maria's sessions ended"
    assert await services.desk.presence.status("maria") == "offline"
    fresh = console()
    assert (await fresh.login("maria")).status == 200, "she can log in again"
    assert (await fresh.call("GET", "/me")).status == 200


async def test_a_disabled_agent_loses_their_session(maria, services) -> None:
    roster_path = services.desk.roster_cache.path
    roster_path.write_text(
        roster_path.read_text().replace("max_chats: 3\n", "max_chats: 3\n    disabled: true\n"),
        encoding="utf-8",
    )
    reply = await maria.call("GET", "/me")
    assert reply.status == 401 and reply.body["error"] == "unauthorised"
    assert await services.sessions.load(maria.token) is None


# What every endpoint refuses.


async def test_every_endpoint_needs_a_session_and_answers_nothing_without_one(
    console, services, store
) -> None:
    session_id = await queued_chat(services, store)
    stranger = console()
    for token in (None, "garbage", secrets.token_urlsafe(32)):
        stranger.token = token
        for method, path, _ in route_table():
            reply = await stranger.call(method, concrete(path, chat_id(session_id), "c" * 22), {})
            assert reply.status == 401, (method, path, reply.body)
            assert reply.body["error"] == "unauthorised", (method, path)
            assert set(reply.body) == {"error", "detail"}, (method, path)
    assert await services.desk.queue.session_ids() == [session_id], "nothing was claimed"


async def test_every_state_changing_endpoint_needs_the_csrf_token(maria, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    writes = [(method, path) for method, path, writes in route_table() if writes]
    assert len(writes) == 12
    for header in (None, "", "wrong-token", maria.csrf[:-1] + "x"):
        headers = {} if header is None else {CSRF_HEADER: header}
        for method, path in writes:
            reply = await maria.call(
                method,
                concrete(path, chat_id(session_id), chat_id(session_id)),
                {"text": "hi", "typing": True, "status": "away", "resume_point": "resolved"},
                csrf=False,
                headers=headers,
            )
            assert reply.status == 403, (method, path, header, reply.body)
            assert reply.body["error"] == "csrf", (method, path)
            assert set(reply.body) == {"error", "detail"}
    assert [e.kind for e in await services.transcript.all(session_id)] == ["system"]
    assert await services.desk.presence.status("maria") == "online"
    assert await services.sessions.load(maria.token) is not None, "logout did not happen"


async def test_reads_do_not_need_the_csrf_token(maria) -> None:
    assert (await maria.call("GET", "/me", csrf=False)).status == 200


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-chat-id",
        "a" * 21,
        "a" * 23,
        "a" * 22 + "." + "b" * 22,  # a session id's shape: agents never address those
        "a" * 11 + ":" + "b" * 10,
        "a" * 21 + "é",
    ],
)
async def test_chat_ids_that_cannot_be_ours_are_404_before_anything_else(maria, bad_id) -> None:
    for method, path, _ in route_table():
        if "<chat_id>" not in path:
            continue
        reply = await maria.call(method, concrete(path, bad_id, "c" * 22), {})
        assert reply.status == 404, (method, path, reply.status)
        assert reply.body["error"] == "not_found"
    stranger = await maria.call("GET", f"/chats/{bad_id}/packet", cookie=False)
    assert stranger.status == 404, "the path is checked before the session"


async def test_redis_errors_are_503(maria, server, services) -> None:
    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    dead_desk = HandoffDesk(
        dead, Transcript(dead), services.desk.roster_cache, Presence(dead), kick=None
    )
    server.swapped["services"] = AgentApiServices(
        client=dead,
        desk=dead_desk,
        transcript=Transcript(dead),
        sessions=AgentSessions(dead),
        login=login_checks_for_tests(dead),
        canned_replies=services.canned_replies,
    )
    try:
        for reply in (
            await maria.call("GET", "/me"),
            await maria.call("GET", "/queue"),
            await maria.login("maria"),
        ):
            assert reply.status == 503
            assert reply.body == {"error": "unavailable", "detail": reply.body["detail"]}
    finally:
        await dead.close()


# Presence, agents, queue, chats.


async def test_presence_away_and_back(maria, tom, services) -> None:
    reply = await maria.call("PUT", "/presence", {"status": "away"})
    assert reply.status == 200 and reply.body == {"status": "away"}
    assert await services.desk.presence.status("maria") == "away"
    for status in ("offline", "busy", None, 1):
        bad = await maria.call("PUT", "/presence", {"status": status})
        assert bad.status == 400 and "status" in bad.body["detail"]
    agents = await tom.call("GET", "/agents")
    assert agents.status == 200
    by_id = {agent["id"]: agent for agent in agents.body}
    assert sorted(by_id) == ["maria", "priya", "tom"], "disabled agents are not listed"
    assert by_id["maria"]["status"] == "away" and by_id["tom"]["status"] == "online"
    assert by_id["priya"]["status"] == "offline"
    assert by_id["maria"]["load"] == 0 and by_id["maria"]["first_name"] == "Maria"
    assert "password_hash" not in json.dumps(agents.body)


async def test_every_authenticated_call_is_a_heartbeat(maria, services) -> None:
    await services.client.zadd(redis_keys.AGENT_HEARTBEATS, {"maria": 0})
    assert await services.desk.presence.status("maria") == "offline"
    assert (await maria.call("GET", "/queue")).status == 200
    assert await services.desk.presence.status("maria") == "online"


async def test_the_queue_and_the_callers_chats(maria, tom, services, store) -> None:
    first = await queued_chat(services, store, "u1", summary="Charged twice")
    await asyncio.sleep(0.01)  # the queue orders by the millisecond of queueing
    second = await queued_chat(services, store, "u2", summary="Late parcel")
    queue = await maria.call("GET", "/queue")
    assert queue.status == 200
    assert [entry["chat_id"] for entry in queue.body] == [chat_id(first), chat_id(second)]
    assert queue.body[0]["summary"] == "Charged twice" and queue.body[0]["position"] == 1
    assert (await maria.call("POST", f"/chats/{chat_id(first)}/claim")).status == 200
    chats = await maria.call("GET", "/chats")
    assert chats.status == 200
    assert len(chats.body) == 1
    chat = chats.body[0]
    assert chat["chat_id"] == chat_id(first) and chat["customer_key"] == "user:u1"
    assert chat["summary"] == "Charged twice" and chat["category"] == "billing"
    assert chat["last_entry"]["seq"] == 1 and chat["last_entry"]["kind"] == "system"
    assert (await tom.call("GET", "/chats")).body == []
    assert [e["chat_id"] for e in (await tom.call("GET", "/queue")).body] == [chat_id(second)]


# Claiming.


async def test_two_agents_claiming_at_once_exactly_one_wins(maria, tom, services, store) -> None:
    session_id = await queued_chat(services, store)
    chat = chat_id(session_id)
    replies = await asyncio.gather(
        maria.call("POST", f"/chats/{chat}/claim"),
        tom.call("POST", f"/chats/{chat}/claim"),
    )
    assert sorted(reply.status for reply in replies) == [200, 409]
    winner = next(r for r in replies if r.status == 200)
    loser = next(r for r in replies if r.status == 409)
    assert loser.body["error"] == "not_queued"
    assert winner.body["chat_id"] == chat_id(session_id)
    owner_id = winner.body["owner"].removeprefix("agent:")
    assert owner_id in ("maria", "tom")
    assert await services.desk.presence.chats_of(owner_id) == [session_id]
    assigned = [e for e in await services.transcript.all(session_id) if e.body.get("handoff")]
    assert len(assigned) == 1, "only the winner announces"


async def test_claiming_beyond_capacity_is_409(tom, services, store) -> None:
    await claimed_chat(services, store, tom, "u1")
    second = await queued_chat(services, store, "u2")
    reply = await tom.call("POST", f"/chats/{chat_id(second)}/claim")
    assert reply.status == 409 and reply.body["error"] == "at_capacity"
    assert await services.desk.queue.session_ids() == [second]


async def test_claiming_a_chat_reserved_for_another_agent_is_409_reserved(
    maria, tom, services, store
) -> None:
    session_id = await queued_chat(services, store, "u1")
    chat = chat_id(session_id)
    # Routing named Tom to the customer: the chat is Tom's for the reservation window.
    await services.client.hset(
        redis_keys.handoff_key(session_id),
        mapping={"routed_to": "tom", "reserved_until": str(time.time() + 60)},
    )

    reply = await maria.call("POST", f"/chats/{chat}/claim")

    assert reply.status == 409 and reply.body["error"] == "reserved"
    assert "reserved for Tom" in reply.body["detail"] and "told" in reply.body["detail"]
    assert await services.desk.queue.session_ids() == [session_id]
    [entry] = (await maria.call("GET", "/queue")).body
    assert entry["routed_to"] == "tom" and entry["reserved_until"]
    assert (await tom.call("POST", f"/chats/{chat}/claim")).status == 200


async def test_claiming_what_is_not_queued_is_409(maria, services, store) -> None:
    with_the_bot = (await store.create(None)).session_id
    reply = await maria.call("POST", f"/chats/{chat_id(with_the_bot)}/claim")
    assert reply.status == 409 and reply.body["error"] == "not_queued"


async def test_claiming_a_conversation_nobody_opened_is_404(maria) -> None:
    unknown = SessionSigner("unit-test-session-secret-0123").new_id()
    reply = await maria.call("POST", f"/chats/{chat_id(unknown)}/claim")
    assert reply.status == 404 and reply.body["error"] == "not_found"


# Reading a chat.


async def test_the_owner_reads_the_packet_and_the_transcript(maria, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    packet = await maria.call("GET", f"/chats/{chat}/packet")
    assert packet.status == 200 and packet.body == PACKET
    await services.transcript.append(session_id, "visitor", text="hello?", client_message_id="c1")
    page = await maria.call("GET", f"/chats/{chat}/transcript")
    assert page.status == 200
    assert page.body["last_seq"] == 2 and page.body["has_more"] is False
    joined, visitor = page.body["entries"]
    assert joined["seq"] == 1 and joined["kind"] == "system"
    assert joined["handoff"]["state"] == "assigned" and joined["handoff"]["agent"][
        "id"
    ] == avatar_id(services.desk.roster().get("maria"))
    assert visitor == {
        "seq": 2, "kind": "visitor", "at": visitor["at"], "text": "hello?",
        "client_message_id": "c1",
    }  # fmt: skip
    later = await maria.call("GET", f"/chats/{chat}/transcript?after=1")
    assert [entry["seq"] for entry in later.body["entries"]] == [2]
    assert (await maria.call("GET", f"/chats/{chat}/transcript?after=2")).body == {
        "entries": [], "last_seq": 2, "has_more": False,
    }  # fmt: skip
    for bad in ("-1", "x", "1.5", "9" * 30):
        reply = await maria.call("GET", f"/chats/{chat}/transcript?after={bad}")
        assert reply.status == 400 and "after" in reply.body["detail"]


async def test_another_agents_chat_is_forbidden(maria, tom, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    earlier = (await store.create(VerifiedUser("u1"))).session_id
    calls = [
        ("GET", f"/chats/{chat}/packet", None),
        ("GET", f"/chats/{chat}/transcript", None),
        ("GET", f"/chats/{chat}/notes", None),
        ("POST", f"/chats/{chat}/notes", {"text": "mine now"}),
        ("GET", f"/chats/{chat}/earlier", None),
        ("GET", f"/chats/{chat}/earlier/{chat_id(earlier)}/transcript", None),
        ("POST", f"/chats/{chat}/typing", {"typing": True}),
    ]
    for method, path, body in calls:
        reply = await tom.call(method, path, body)
        assert reply.status == 403, (method, path, reply.body)
        assert reply.body["error"] == "forbidden" and set(reply.body) == {"error", "detail"}
    message = await tom.call("POST", f"/chats/{chat}/messages", {"text": "hi"})
    assert message.status == 403 and message.body["error"] == "not_owner"
    assert [e.kind for e in await services.transcript.all(session_id)] == ["system"]
    assert not await services.client.exists(redis_keys.notes_key(session_id))


async def test_a_conversation_agents_never_saw_is_404(maria) -> None:
    unknown = SessionSigner("unit-test-session-secret-0123").new_id()
    for path in ("packet", "transcript", "notes", "earlier"):
        reply = await maria.call("GET", f"/chats/{chat_id(unknown)}/{path}")
        assert reply.status == 404 and reply.body["error"] == "not_found", path


async def test_the_customers_earlier_conversations(maria, services, store) -> None:
    old = await queued_chat(services, store, "u1", summary="Refund for order 1")
    await services.desk.ownership.close(old)
    await services.transcript.append(old, "visitor", text="my earlier words")
    someone_else = (await store.create(VerifiedUser("u2"))).session_id
    current = await claimed_chat(services, store, maria, "u1")
    earlier = await maria.call("GET", f"/chats/{chat_id(current)}/earlier")
    assert earlier.status == 200
    assert earlier.body == [
        {
            "chat_id": chat_id(old),
            "started_at": earlier.body[0]["started_at"],
            "outcome": "with the assistant, closed",
            "summary": "Refund for order 1",
        }
    ]
    assert earlier.body[0]["started_at"].endswith("Z")
    transcript = await maria.call(
        "GET", f"/chats/{chat_id(current)}/earlier/{chat_id(old)}/transcript"
    )
    assert transcript.status == 200
    assert [e.get("text") for e in transcript.body["entries"]] == ["my earlier words"]
    refused = await maria.call(
        "GET", f"/chats/{chat_id(current)}/earlier/{chat_id(someone_else)}/transcript"
    )
    assert refused.status == 403 and refused.body["error"] == "forbidden"


async def test_nothing_an_agent_reads_carries_a_session_id(maria, services, store) -> None:
    """A session id is the visitor's credential (finding 4 of issue 16): agents get chat
    ids, and an anonymous visitor's customer key is not their session id either."""
    old = (await store.create(None)).session_id
    await services.transcript.append(old, "visitor", text="earlier words")
    current = await claimed_chat(services, store, maria)
    waiting = await queued_chat(services, store, "u2")
    anonymous = await store.create(None)
    assert anonymous.session_id not in anonymous.customer_key
    await services.desk.queue_conversation(
        anonymous.session_id,
        Routed(decision=None, agent=None),
        {"customer_key": anonymous.customer_key, "summary": "Late", "packet": json.dumps(PACKET)},
    )
    reads = [
        await maria.call("GET", "/queue"),
        await maria.call("GET", "/chats"),
        await maria.call("GET", f"/chats/{chat_id(current)}/packet"),
        await maria.call("GET", f"/chats/{chat_id(current)}/transcript"),
        await maria.call("GET", f"/chats/{chat_id(current)}/earlier"),
        await maria.call("POST", f"/chats/{chat_id(current)}/read", {"seq": 1}),
        await maria.call("POST", f"/chats/{chat_id(current)}/typing", {"typing": False}),
    ]
    assert all(reply.status == 200 for reply in reads), [r.body for r in reads]
    everything = json.dumps([reply.body for reply in reads])
    for session_id in (old, current, waiting, anonymous.session_id):
        assert session_id not in everything
    assert chat_id(anonymous.session_id) in everything


async def test_a_session_id_in_an_agent_path_is_not_found(maria, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    reply = await maria.call("GET", f"/chats/{session_id}/transcript")
    assert reply.status == 404 and reply.body["error"] == "not_found"


# Acting on a chat.


async def test_an_agents_message_is_an_agent_entry_with_their_sender(
    maria, services, store
) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    reply = await maria.call("POST", f"/chats/{chat}/messages", {"text": "Hi, I'm on it."})
    assert reply.status == 201 and reply.body["seq"] == 2
    entry = (await services.transcript.all(session_id))[-1]
    assert entry.seq == 2 and entry.kind == "agent" and entry.text == "Hi, I'm on it."
    assert entry.body["sender"] == agent_sender(services.desk.roster().get("maria"))
    assert await services.client.llen(redis_keys.inbox_key(session_id)) == 1, "for the tracker"
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 4001}, {"text": 5}, {}):
        bad = await maria.call("POST", f"/chats/{chat}/messages", body)
        assert bad.status == 400 and "text" in bad.body["detail"], body
    assert (await services.transcript.last_seq(session_id)) == 2


async def test_notes_are_private_and_never_in_the_transcript(maria, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    secret_text = "customer sounded upset; check the refund ledger"
    added = await maria.call("POST", f"/chats/{chat}/notes", {"text": secret_text})
    assert added.status == 201
    assert added.body["agent_id"] == "maria" and added.body["text"] == secret_text
    notes = await maria.call("GET", f"/chats/{chat}/notes")
    assert notes.status == 200 and notes.body == [added.body]
    stored = await services.client.xrange(redis_keys.notes_key(session_id))
    assert set(stored[0][1]) == {b"agent_id", b"text", b"at"}
    everything = json.dumps([e.body for e in await services.transcript.all(session_id)])
    assert secret_text not in everything
    assert (await maria.call("POST", f"/chats/{chat}/notes", {"text": ""})).status == 400


async def test_notes_are_kept_for_the_notes_retention_from_the_latest(
    maria, services, store
) -> None:
    services.retention = RetentionPolicy(notes_days=3)
    session_id = await claimed_chat(services, store, maria)
    key = redis_keys.notes_key(session_id)
    await maria.call("POST", f"/chats/{chat_id(session_id)}/notes", {"text": "first"})
    await services.client.expire(key, 60)  # as if the first note were old

    await maria.call("POST", f"/chats/{chat_id(session_id)}/notes", {"text": "second"})

    assert 3 * 24 * 3600 - 60 < await services.client.ttl(key) <= 3 * 24 * 3600


async def test_typing_goes_to_the_visitor_as_a_live_event(maria, services, store, events) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    reply = await maria.call("POST", f"/chats/{chat}/typing", {"typing": True})
    assert reply.status == 200
    event = await published(events, lambda m: m.get("type") == "live")
    assert event == {
        "type": "live",
        "session_id": session_id,
        "event": "typing",
        "payload": {
            "sender": agent_sender(services.desk.roster().get("maria")),
            "typing": True,
        },
        "audience": "visitor",
    }
    bad = await maria.call("POST", f"/chats/{chat}/typing", {"typing": "yes"})
    assert bad.status == 400 and "typing" in bad.body["detail"]


async def test_transfer_to_an_online_agent_with_a_note(maria, console, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    for target in ("tom", "olga", "nobody", "maria-x"):
        refused = await maria.call("POST", f"/chats/{chat}/transfer", {"to_agent_id": target})
        assert refused.status == 409 and refused.body["error"] == "agent_unavailable", target
    tom = console()
    await tom.login("tom")
    to_self = await maria.call("POST", f"/chats/{chat}/transfer", {"to_agent_id": "maria"})
    assert to_self.status == 409 and to_self.body["error"] == "same_agent"
    reply = await maria.call(
        "POST",
        f"/chats/{chat}/transfer",
        {"to_agent_id": "tom", "note": "late parcel, not billing"},
    )
    assert reply.status == 200 and reply.body == {
        "chat_id": chat_id(session_id),
        "owner": "agent:tom",
    }
    notes = await tom.call("GET", f"/chats/{chat}/notes")
    assert [(n["agent_id"], n["text"]) for n in notes.body] == [
        ("maria", "late parcel, not billing")
    ]
    assert (await maria.call("GET", f"/chats/{chat}/packet")).status == 403
    again = await maria.call("POST", f"/chats/{chat}/transfer", {"to_agent_id": "tom"})
    assert again.status == 409 and again.body["error"] == "not_owner"
    bad = await tom.call("POST", f"/chats/{chat}/transfer", {"to_agent_id": 3})
    assert bad.status == 400 and "to_agent_id" in bad.body["detail"]


async def test_hand_back_to_the_bot(maria, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    for point in ("carry_on", "later", None):
        bad = await maria.call("POST", f"/chats/{chat}/hand-back", {"resume_point": point})
        assert bad.status == 400 and "resume_point" in bad.body["detail"], point
    reply = await maria.call(
        "POST",
        f"/chats/{chat}/hand-back",
        {"resume_point": "resolved", "note": "done"},
    )
    assert reply.status == 200 and reply.body == {"chat_id": chat, "owner": "bot"}
    handoff = (await services.transcript.all(session_id))[-1].body["handoff"]
    assert handoff["state"] == "handed_back" and handoff["resume_point"] == "resolved"
    assert await services.desk.presence.chats_of("maria") == []
    again = await maria.call("POST", f"/chats/{chat}/hand-back", {"resume_point": "continue"})
    assert again.status == 409 and again.body["error"] == "not_owner"


async def test_close(maria, tom, services, store) -> None:
    session_id = await claimed_chat(services, store, maria)
    chat = chat_id(session_id)
    not_owner = await tom.call("POST", f"/chats/{chat}/close")
    assert not_owner.status == 409 and not_owner.body["error"] == "not_owner"
    reply = await maria.call("POST", f"/chats/{chat}/close")
    assert reply.status == 200 and reply.body == {"chat_id": chat, "owner": "closed"}
    assert (await services.transcript.all(session_id))[-1].body["handoff"]["state"] == "closed"
    again = await maria.call("POST", f"/chats/{chat}/close")
    assert again.status == 409 and again.body["error"] == "already_closed"


async def test_canned_replies_come_with_the_agents_first_name(maria, tom) -> None:
    reply = await maria.call("GET", "/canned-replies")
    assert reply.status == 200
    assert reply.body == [
        {"title": "Hello", "text": "Hi, this is Maria. I've read everything."},
        {"title": "Bye", "text": "Take care.\nMaria"},
    ]
    assert (await tom.call("GET", "/canned-replies")).body[0]["text"].startswith("Hi, this is Tom.")


async def test_unread_counts_the_customers_messages_after_the_read_marker(
    maria, tom, services, store
) -> None:
    session_id = await claimed_chat(services, store, maria)
    for text in ("are you there?", "hello?"):
        await services.transcript.append(session_id, "visitor", text=text)
    await maria.call("POST", f"/chats/{chat_id(session_id)}/messages", {"text": "Yes, here."})
    chat = (await maria.call("GET", "/chats")).body[0]
    assert (chat["read_seq"], chat["unread"]) == (0, 2)

    marked = await maria.call("POST", f"/chats/{chat_id(session_id)}/read", {"seq": 3})
    assert marked.status == 200 and marked.body == {"chat_id": chat_id(session_id), "read_seq": 3}
    chat = (await maria.call("GET", "/chats")).body[0]
    assert (chat["read_seq"], chat["unread"]) == (3, 0)

    await services.transcript.append(session_id, "visitor", text="thanks")
    assert (await maria.call("GET", "/chats")).body[0]["unread"] == 1
    assert (await tom.call("POST", f"/chats/{chat_id(session_id)}/read", {"seq": 9})).status == 403
    for bad in ({"seq": -1}, {"seq": "3"}, {"seq": True}, {}):
        assert (
            await maria.call("POST", f"/chats/{chat_id(session_id)}/read", bad)
        ).status == 400, bad


# A customer's data: supervisors only (bot/gateway/agent_customer_data.py).


async def test_an_agent_who_is_not_a_supervisor_may_not_export_or_erase(
    tom, services, store
) -> None:
    session_id = await queued_chat(services, store, user="u7")
    keys_before = sorted([key async for key in services.client.scan_iter()])

    exported = await tom.call("GET", "/customers/user:u7/export")
    erased = await tom.call("POST", "/customers/u7/erase")

    for reply in (exported, erased):
        assert reply.status == 403, reply.body
        assert reply.body["error"] == "forbidden"
        assert "u7" not in json.dumps(reply.body)
    assert sorted([key async for key in services.client.scan_iter()]) == keys_before
    assert await services.desk.queue.session_ids() == [session_id]


async def test_a_supervisor_exports_then_erases_a_customer(maria, services, store) -> None:
    session_id = await queued_chat(services, store, user="u7")
    await services.transcript.append(session_id, "visitor", text="charged twice for 61234")
    other_id = await queued_chat(services, store, user="u8")

    exported = await maria.call("GET", "/customers/user:u7/export")
    assert exported.status == 200, exported.body
    assert exported.body["customer"] == "user:u7"
    [conversation] = exported.body["conversations"]
    assert conversation["session_id"] == chat_id(session_id)
    assert session_id not in json.dumps(exported.body)
    assert conversation["handoff"]["packet"] == PACKET
    assert conversation["transcript"][0]["text"] == "charged twice for 61234"

    erased = await maria.call("POST", "/customers/u7/erase")
    assert erased.status == 200, erased.body
    assert erased.body["conversations"] == [chat_id(session_id)]
    assert redis_keys.transcript_key(chat_id(session_id)) in erased.body["deleted_keys"]
    assert [key async for key in services.client.scan_iter(match=f"*{session_id}*")] == []
    assert await services.desk.queue.session_ids() == [other_id]
    again = await maria.call("GET", "/customers/user:u7/export")
    assert again.body["conversations"] == []


@pytest.mark.parametrize("customer", ["user:", "a%20b", "x" * 201])
async def test_a_malformed_customer_is_not_found(maria, customer) -> None:
    reply = await maria.call("GET", f"/customers/{customer}/export")
    assert reply.status == 404, reply.body
    assert reply.body["error"] == "not_found"
