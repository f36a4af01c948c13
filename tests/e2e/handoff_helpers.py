"""What the handoff's end-to-end tests share: a clean desk, logged-in agents, and
ways to bring a visitor to the queue and to wait for what they are sent.

The fixtures are made available to every e2e test by tests/e2e/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.agents.avatars import avatar_id
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.roster import load_roster
from bot.stack import Stack
from tests.e2e.agent import AgentClient
from tests.e2e.visitor import RasaApi, Visitor


def avatar_of(agent_id: str) -> str:
    """The opaque id visitors know the demo agent ``agent_id`` by (never the login id)."""
    profile = load_roster(DEMO_AGENTS_FILE).get(agent_id)
    assert profile is not None, agent_id
    return avatar_id(profile)


BILLING_COMPLAINT = "I was charged twice for order 61234"
"""A complaint routing gives to Maria (billing)."""


async def reset_desk(client: redis.Redis) -> None:
    """Nobody online, nobody queued, no agent holding chats, no login failures."""
    keys = [redis_keys.AGENT_PRESENCE, redis_keys.AGENT_HEARTBEATS, redis_keys.HANDOFF_QUEUE]
    async for key in client.scan_iter(f"{redis_keys.AGENT_CHATS_PREFIX}*"):
        keys.append(key)
    for prefix in (redis_keys.LOGIN_FAILURES_PREFIX, redis_keys.LOGIN_BLOCK_PREFIX):
        async for key in client.scan_iter(f"{prefix}*"):
            keys.append(key)
    await client.delete(*keys)


@pytest.fixture
async def desk_reset(stack: Stack) -> AsyncIterator[redis.Redis]:
    """Each test starts with a clean desk (``reset_desk``) and leaves one."""
    client = redis.Redis.from_url(stack.redis_url)
    await reset_desk(client)
    yield client
    await reset_desk(client)
    await client.close()


class AgentLogins:
    """``await logins("maria")``: a logged-in agent (gateway 1 unless ``url``); all
    closed by ``close()``."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.made: list[AgentClient] = []

    async def __call__(
        self, agent_id: str, url: str | None = None, source: str | None = None
    ) -> AgentClient:
        agent = AgentClient(url or self.stack.config.gateway_urls[0], source)
        self.made.append(agent)
        await agent.login(agent_id)
        return agent

    async def close(self) -> None:
        for agent in self.made:
            await agent.close()


@pytest.fixture
async def agents(stack: Stack) -> AsyncIterator[AgentLogins]:
    """``await agents("maria")``: a logged-in agent console, closed after the test."""
    logins = AgentLogins(stack)
    yield logins
    await logins.close()


def handoff_events(visitor: Visitor, state: str) -> list[dict[str, Any]]:
    return [
        data for event, data in visitor.received if event == "handoff" and data["state"] == state
    ]


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def next_event_where(
    visitor: Visitor, name: str, timeout: float = 10.0, **matching: Any
) -> dict[str, Any]:
    """The next ``name`` event whose payload has the ``matching`` fields (others skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        data = await visitor.next_event(name, timeout=max(0.0, deadline - loop.time()))
        if all(data.get(key) == value for key, value in matching.items()):
            return dict(data)


async def ask_for_a_person(visitor: Visitor, complaint: str = BILLING_COMPLAINT) -> dict[str, Any]:
    """Complain, confirm, ask for a person; the ``handoff`` ``queued`` event that follows."""
    await visitor.say(complaint)
    await visitor.say("yes")
    replies = await visitor.say("I want to talk to a person")
    queued = handoff_events(visitor, "queued")
    assert queued, f"no handoff after asking for a person: {replies}"
    return queued[-1]


async def claimed_by(agent: AgentClient, visitor: Visitor) -> dict[str, Any]:
    """``agent`` claims the visitor's queued chat; the visitor's ``assigned`` event."""
    status, body = await agent.call("POST", f"/api/agent/chats/{visitor.chat_id}/claim")
    assert status == 200, body
    return await next_event_where(visitor, "handoff", state="assigned")


def bot_texts(visitor: Visitor, kind: str) -> list[str]:
    """Texts of the ``bot_uttered`` entries from senders of ``kind`` the visitor got."""
    return [
        data.get("text", "")
        for event, data in visitor.entries()
        if event == "bot_uttered" and data["sender"]["kind"] == kind
    ]


async def tracker_texts(rasa_api: RasaApi, session_id: str) -> tuple[list[str], list[str]]:
    """The tracker's user texts and the texts agents said, in order."""
    events = (await rasa_api.tracker(session_id))["events"]
    users = [event.get("text") or "" for event in events if event["event"] == "user"]
    agents_said = [
        event.get("text") or ""
        for event in events
        if event["event"] == "bot" and (event.get("metadata") or {}).get("agent")
    ]
    return users, agents_said
