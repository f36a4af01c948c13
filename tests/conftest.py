"""Fixtures shared by every test: a real Redis server, started by the test session."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.embedded_redis import (
    embedded_redis_url,
    free_port,
    start_embedded_redis,
    wait_for_redis,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (as ``make run`` starts it, with a password) on a free port, for
    the whole session.

    REDIS_URL points at it, so code that reads its settings from the environment
    (the actions) uses it too.
    """
    port = free_port()
    data_dir = tmp_path_factory.mktemp("redis")
    password = secrets.token_hex(16)
    process = start_embedded_redis(port, data_dir, data_dir / "redis.log", password)
    url = embedded_redis_url(port, password)
    try:
        if not wait_for_redis(url, process, timeout=15):
            pytest.fail(f"test Redis did not start: {(data_dir / 'redis.log').read_text()}")
        previous = os.environ.get("REDIS_URL")
        os.environ["REDIS_URL"] = url
        yield url
        if previous is None:
            os.environ.pop("REDIS_URL", None)
        else:
            os.environ["REDIS_URL"] = previous
    finally:
        process.terminate()
        process.wait(timeout=10)
