"""Finding 5 as attacks on the running stack: a session outlives neither a disabled
account, a password change nor "log out everywhere"; an open console socket is
disconnected within a few seconds and cannot keep a revoked session alive."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.roster import roster_file_path
from bot.stack import Stack
from tests.cli import run_tool
from tests.e2e.agent import AgentClient

SOCKET_GONE_SECONDS = 15.0
"""Generous upper bound for "a few seconds" (the re-check runs every 2 s)."""


@pytest.fixture
def roster(stack: Stack) -> Iterator[Path]:
    """The roster file the running stack reads, put back as it was after the test."""
    path = roster_file_path()
    assert path != DEMO_AGENTS_FILE, "the e2e stack runs a copy of the demo roster"
    saved = path.read_bytes()
    yield path
    path.write_bytes(saved)


def agents_cli(*args: str, stdin: str = "", **environment: str) -> subprocess.CompletedProcess[str]:
    return run_tool("bot.agents", *args, stdin=stdin, environment=environment)


async def disconnected(agent: AgentClient) -> bool:
    """Whether the console's socket is closed (by the server) within the bound."""
    assert agent.socket is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SOCKET_GONE_SECONDS
    while agent.socket.connected and loop.time() < deadline:
        await asyncio.sleep(0.1)
    return not agent.socket.connected


async def session_refused(agent: AgentClient) -> bool:
    status, body = await agent.call("GET", "/api/agent/me")
    return status == 401 and body["error"] == "unauthorised"


async def reconnect_refused(agent: AgentClient, url: str) -> bool:
    try:
        await agent.connect_socket(url)
    except Exception:  # socketio.exceptions.ConnectionError: the server said no
        return True
    return False


async def test_disabling_an_agent_ends_their_sessions_and_sockets(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
    roster: Path,
) -> None:
    maria = await agents("maria")
    await maria.connect_socket(stack.config.gateway_urls[1])
    tom = await agents("tom")

    result = agents_cli("--file", str(roster), "disable", "maria")
    assert result.returncode == 0, result.stderr

    assert await disconnected(maria), "the console socket outlived the disabled account"
    assert await session_refused(maria)
    assert await reconnect_refused(maria, stack.config.gateway_urls[0])
    assert (await tom.call("GET", "/api/agent/me"))[0] == 200


async def test_a_password_change_ends_the_sessions_made_with_the_old_one(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
    roster: Path,
) -> None:
    maria = await agents("maria")
    await maria.connect_socket()

    result = agents_cli(
        "--file", str(roster), "set-password", "maria", "--password-stdin",
        stdin="maria-new-pass-2\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    assert await disconnected(maria)
    assert await session_refused(maria)
    renewed = AgentClient(stack.config.gateway_urls[0])
    try:
        await renewed.login("maria", "maria-new-pass-2")
        assert (await renewed.call("GET", "/api/agent/me"))[0] == 200
    finally:
        await renewed.close()


async def test_log_out_everywhere_from_the_api_ends_every_console(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
) -> None:
    laptop = await agents("maria")
    phone = await agents("maria", stack.config.gateway_urls[1])
    await laptop.connect_socket()
    await phone.connect_socket(stack.config.gateway_urls[1])
    tom = await agents("tom")

    status, body = await laptop.call("POST", "/api/agent/logout-everywhere")
    assert status == 200 and body == {"ok": True}

    for console in (laptop, phone):
        assert await disconnected(console)
        assert await session_refused(console)
    assert (await tom.call("GET", "/api/agent/me"))[0] == 200


async def test_log_out_everywhere_from_the_cli_ends_every_console(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
) -> None:
    maria = await agents("maria")
    await maria.connect_socket(stack.config.gateway_urls[1])

    result = agents_cli("logout", "maria", REDIS_URL=stack.redis_url)
    assert result.returncode == 0, result.stderr
    assert "maria" in result.stdout

    assert await disconnected(maria)
    assert await session_refused(maria)
    assert await reconnect_refused(maria, stack.config.gateway_urls[0])


async def test_a_revoked_session_is_not_kept_alive_by_its_socket(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
) -> None:
    """A console that stays connected must not renew a session revoked behind its back
    (the socket's periodic check used to renew any session it found)."""
    maria = await agents("maria")
    await maria.connect_socket()
    client = redis.Redis.from_url(stack.redis_url)
    try:
        await client.incr("agent-generation:maria")  # what "log out everywhere" does
    finally:
        await client.close()
    assert await disconnected(maria)
    assert await session_refused(maria)


def test_the_cli_says_clearly_when_it_cannot_reach_redis() -> None:
    result = agents_cli("logout", "maria", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach Redis at REDIS_URL=")
    assert len(result.stderr.strip().splitlines()) == 1
