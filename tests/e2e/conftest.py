"""The real stack, started once for all end-to-end tests: Redis, action server, two
gateways and Rasa, on free ports."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from bot.agents.demo import DEMO_AGENTS_FILE
from bot.case_records import CaseRecords
from bot.embedded_redis import free_port
from bot.gateway.settings import ONE_ADDRESS_LOAD
from bot.stack import Stack, StackConfig
from bot.training import MODEL_PATH
from bot.transcript import Transcript
from tests.e2e.handoff_helpers import agents, desk_reset  # noqa: F401 (fixtures)
from tests.e2e.visitor import RasaApi, Visitor
from tests.stack_environment import environment, write_business_file_without_hours


@pytest.fixture(scope="session")
def business_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of business.yml the stack reads, so a test can edit it while it runs; it
    keeps no hours (tests/stack_environment.py)."""
    return write_business_file_without_hours(tmp_path_factory.mktemp("business") / "business.yml")


@pytest.fixture(scope="session")
def agents_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo roster the stack reads, so a test can disable an agent or
    change a password (tests/e2e/security/test_agent_revocation.py)."""
    path = tmp_path_factory.mktemp("agents") / "agents.yml"
    shutil.copy(DEMO_AGENTS_FILE, path)
    return path


ALLOWED_ORIGIN = "http://shop.example"
BROWSER_HOST_PORT = free_port()
"""Where the browser tests serve their host pages (tests/e2e/browser/conftest.py): as
``http://localhost:<port>`` an allowed origin, as ``http://127.0.0.1:<port>`` a refused one."""
IDENTITY_SECRET = "e2e-identity-secret-0123456789"


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, business_file: Path, agents_file: Path
) -> Iterator[Stack]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: `make test` trains it first")
    settings = {
        "BUSINESS_FILE": str(business_file),
        "GATEWAY_ALLOWED_ORIGINS": (
            f"{ALLOWED_ORIGIN}, http://other-shop.example, http://localhost:{BROWSER_HOST_PORT}"
        ),
        "GATEWAY_IDENTITY_SECRET": IDENTITY_SECRET,
        # Agents count as gone 3 s after their last sign of life, and lose their chats
        # 2 s later (the product defaults are 30 s and 60 s).
        "AGENT_HEARTBEAT_TIMEOUT_SECONDS": "3",
        "AGENT_OFFLINE_GRACE_SECONDS": "2",
        # The demo agents (maria, tom, priya) log in: they exist only in demo mode.
        "DEMO_MODE": "1",
        "AGENTS_FILE": str(agents_file),
        # The tests' own address is a trusted proxy, so a test can name the client's
        # address in X-Forwarded-For (tests/e2e/security/test_agent_login.py).
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
        # 100 consoles log in at once, about 33 per demo agent, in test_handoff_queue.py;
        # an id's logins under way count against its limit until they succeed.
        "AGENT_LOGIN_ID_FAILURES": "50",
        # Every test and browser test comes from 127.0.0.1: the per-IP limits are tested
        # with a gateway of their own (tests/e2e/security/test_visitor_limits.py).
        **ONE_ADDRESS_LOAD,
    }
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        redis_url=None,
        embedded_redis_port=free_port(),
        state_dir=tmp_path_factory.mktemp("stack"),
        # A token that looks like an option: it must still reach Rasa as the token.
        api_token="-e2e-" + secrets.token_hex(8),
        gateway_ports=(free_port(), free_port()),
    )
    stack = Stack(config, report=lambda line: None)
    with environment(settings):
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()


@pytest.fixture
def gateway_urls(stack: Stack) -> list[str]:
    return stack.config.gateway_urls


@pytest.fixture
async def visitor(stack: Stack) -> AsyncIterator[Visitor]:
    """A protocol-1 visitor on the first gateway."""
    visitor = Visitor(stack.config.gateway_urls[0])
    await visitor.connect()
    yield visitor
    await visitor.close()


@pytest.fixture
async def visitors(stack: Stack) -> AsyncIterator[list[Visitor]]:
    """Unconnected visitors made with ``visitors.append``; all closed after the test."""
    made: list[Visitor] = []
    yield made
    for visitor in made:
        await visitor.close()


@pytest.fixture
def rasa_api(stack: Stack) -> RasaApi:
    return RasaApi(stack.config.rasa_url, stack.config.api_token)


@pytest.fixture
async def records(stack: Stack) -> AsyncIterator[CaseRecords]:
    """What the bot wrote down, read through the same class the actions write with."""
    case_records = CaseRecords.from_url(stack.redis_url)
    yield case_records
    await case_records.close()


@pytest.fixture
def open_visitor(visitors: list[Visitor]) -> Callable[..., Awaitable[Visitor]]:
    """``await open_visitor(url, session_id=..., last_seq=..., user=...)``: a connected
    protocol-1 visitor, closed after the test."""

    async def open_one(url: str, **session: Any) -> Visitor:
        visitor = Visitor(url)
        visitors.append(visitor)
        await visitor.connect(**session)
        return visitor

    return open_one


@pytest.fixture
async def transcript(stack: Stack) -> AsyncIterator[Transcript]:
    """The gateway's transcripts, read straight from Redis."""
    client = redis.Redis.from_url(stack.redis_url)
    yield Transcript(client)
    await client.close()
