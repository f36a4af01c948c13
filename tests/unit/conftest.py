"""Fixtures for the action tests: a fresh dispatcher, the real domain, trackers built inline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
import redis.asyncio as redis
from rasa.shared.core.domain import Domain
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic

from actions import services
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def the_shipped_business_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests read the repository's business.yml, whatever the end-to-end stack (which
    runs first in `make test`, for the whole session) set BUSINESS_FILE to."""
    monkeypatch.setenv("BUSINESS_FILE", str(ROOT / "business.yml"))


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


@pytest.fixture
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets several Sanic apps start in one process (see test_agent_auth.running_app)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    """A client on the test Redis, emptied before each test; afterwards the actions'
    per-loop Redis clients (case records, handoff desk) are closed and forgotten."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.close()
    # The actions keep one CaseRecords per event loop, and each test has its own loop.
    records = services._records.pop(id(asyncio.get_running_loop()), None)
    if records is not None:
        await records.close()
    services._records.clear()
    # Likewise one handoff desk (with its own Redis client) per event loop.
    desk = services._desks.pop(id(asyncio.get_running_loop()), None)
    if desk is not None:
        await desk.client.close()
    services._desks.clear()


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.Redis]:
    """A client on the test Redis answering bytes, like the gateway's (nothing flushed)."""
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.close()


async def confirmed_subscription(client: redis.Redis, channel: str) -> redis.client.PubSub:
    """A pub/sub listening on ``channel``, its subscription confirmed (so nothing
    published after this returns is missed)."""
    pubsub = client.pubsub()
    await pubsub.subscribe(channel)
    confirmation = None
    for _ in range(50):
        confirmation = await pubsub.get_message(timeout=0.1)
        if confirmation is not None:
            break
    assert confirmation is not None
    assert confirmation["type"] == "subscribe"
    return pubsub


MONDAY_MORNING_IN_NEW_YORK = datetime(2026, 3, 9, 14, 0, tzinfo=timezone.utc)
"""10:00 on a Monday in New York: business.yml's team is at work."""


@pytest.fixture
def during_business_hours(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Handoff desks made from now on read business hours at Monday 10:00 in New York
    (business.yml's hours: open), so the queue line does not depend on when tests run."""
    monkeypatch.setattr("bot.handoff.desk._utc_now", lambda: MONDAY_MORNING_IN_NEW_YORK)
    return MONDAY_MORNING_IN_NEW_YORK
