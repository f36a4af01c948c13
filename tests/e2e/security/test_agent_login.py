"""Finding 2 as attacks on the running stack: a stranger can no longer lock an agent
out with wrong passwords, and nothing a visitor receives names an agent's login id.

The stack trusts 127.0.0.1 as a proxy (tests/e2e/conftest.py), so each client here
names its own address in X-Forwarded-For, as a real proxy would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import redis.asyncio as redis

from bot.chat_ids import chat_id
from bot.stack import Stack
from tests.e2e.agent import DEMO_PASSWORDS, AgentClient
from tests.e2e.handoff_helpers import ask_for_a_person, avatar_of, claimed_by
from tests.e2e.visitor import Visitor

ATTACKER = "203.0.113.66"
AGENT_AT_HOME = "198.51.100.20"
SOURCE_LIMIT = 5
"""AGENT_LOGIN_SOURCE_FAILURES's default."""


async def login(url: str, source: str, password: str, agent_id: str = "maria") -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/api/agent/login",
            json={"agent_id": agent_id, "password": password},
            headers={"X-Forwarded-For": source},
        ) as reply,
    ):
        return reply.status, (await reply.json(content_type=None), dict(reply.headers))


async def test_forty_parallel_wrong_passwords_do_not_lock_the_agent_out(
    stack: Stack, desk_reset: redis.Redis
) -> None:
    url = stack.config.gateway_urls[0]
    attempts = await asyncio.gather(
        *(login(url, ATTACKER, f"guess-{number}") for number in range(40))
    )
    statuses = sorted(status for status, _ in attempts)
    assert statuses.count(401) <= SOURCE_LIMIT, "more guesses reached the password check"
    assert statuses.count(429) >= 40 - SOURCE_LIMIT and set(statuses) == {401, 429}

    # The right password from the agent's own network gets in at once.
    status, (body, _headers) = await login(url, AGENT_AT_HOME, DEMO_PASSWORDS["maria"])
    assert status == 200, body
    # The attacker's source waits, told for how long, even with the right password.
    status, (body, headers) = await login(url, ATTACKER, DEMO_PASSWORDS["maria"])
    assert status == 429 and body["error"] == "throttled"
    assert int(headers["Retry-After"]) == body["retry_after_seconds"] > 0


async def test_the_other_gateway_keeps_the_same_count(
    stack: Stack, desk_reset: redis.Redis
) -> None:
    first, second = stack.config.gateway_urls
    for _ in range(SOURCE_LIMIT):
        assert (await login(first, ATTACKER, "wrong-password"))[0] == 401
    status, _ = await login(second, ATTACKER, "wrong-password")
    assert status == 429, "changing gateway does not reset the attacker's count"


def strings_in(value: Any) -> list[str]:
    """Every string anywhere in a JSON-like value (keys too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *strings_in(item)]]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def mentions_login_id(text: str, login_id: str) -> bool:
    """Whether ``text`` names the login id as an id (a word of its own, or in a path);
    the display name "Maria" is not the login id "maria"."""
    return text == login_id or f"/{login_id}" in text or f"{login_id}." in text


async def test_a_visitor_never_receives_an_agents_login_id(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
    visitor: Visitor,
) -> None:
    maria = await agents("maria")
    queued = await ask_for_a_person(visitor)  # routed to maria, who is online
    assert queued["agent"]["id"] == avatar_of("maria")
    assigned = await claimed_by(maria, visitor)
    status, _ = await maria.call(
        "POST",
        f"/api/agent/chats/{chat_id(visitor.session_id)}/messages",
        {"text": "Hello, Maria here."},
    )
    assert status == 201
    await visitor.next_event("bot_uttered")
    await visitor.send({"message": "thanks", "client_message_id": "t1"})
    history = await visitor.history()

    received = [data for _event, data in visitor.received] + [history]
    leaks = [text for text in strings_in(received) if mentions_login_id(text, "maria")]
    assert leaks == [], leaks
    assert assigned["agent"]["name"] == "Maria", "the display name still reaches the visitor"

    # The picture the visitor was given answers; the login id's URL does not.
    avatar_url = assigned["agent"]["avatar_url"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.config.gateway_urls[0]}{avatar_url}") as reply:
            assert reply.status == 200 and reply.content_type == "image/svg+xml"
        for login_id in ("maria", "tom", "priya"):
            async with http.get(
                f"{stack.config.gateway_urls[0]}/console/avatars/{login_id}.svg"
            ) as reply:
                assert reply.status == 404, login_id
