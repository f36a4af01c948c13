"""The three systems ``make bench`` compares, started on loopback one after the other.

- **stock default**: ``rasa run`` with Rasa's own socket.io channel (session
  persistence on), the in-memory tracker and lock stores, one Sanic worker;
- **stock tuned**: the same with ``SANIC_WORKERS=2`` and Rasa's Redis tracker and lock
  stores;
- **ours**: ``make run`` itself (setup check, model check, Redis, action server,
  gateway, Rasa with the gateway channel), ready when it prints that it is running.

The stock systems use our domain, data and actions (the same action server, on the
same embedded Redis our actions keep their records in) with a model trained from the
``config.yml`` that ``rasa init`` writes. Each system's processes are sampled for
resident memory while it runs (``RssSampler``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

from bench.visitors import Protocol
from bot.embedded_redis import free_port
from bot.stack import (
    READY_LINE,
    ROOT,
    ManagedProcess,
    Stack,
    StackConfig,
    StackError,
    http_ok,
)

SystemName = Literal["stock_default", "stock_tuned", "ours"]
LABELS: dict[SystemName, str] = {
    "stock_default": "stock, default",
    "stock_tuned": "stock, tuned",
    "ours": "ours",
}

SOCKETIO_CREDENTIALS = """\
socketio:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""


def stock_endpoints_text(action_port: int, redis_port: int | None) -> str:
    """Action server only; with ``redis_port`` also Rasa's Redis tracker and lock stores."""
    text = (
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        # our action server (shared by every system) needs the stack's per-run token
        "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
    )
    if redis_port is not None:
        for store in ("tracker_store", "lock_store"):
            text += f"{store}:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 0\n"
            text += "  password: ${REDIS_PASSWORD}\n"  # the embedded Redis requires one
    return text


# Resident memory of every process of a system, by part.

PART_PATTERNS = (
    ("redis", "redis-server"),
    ("actions", "bot.action_server"),
    ("actions", "rasa_sdk"),
    ("gateway", "bot.gateway"),
    ("rasa", "bot.rasa_server"),
    ("rasa", "rasa run"),
    ("supervisor", "bot.stack"),
)


def part_of(command_line: str) -> str | None:
    for part, pattern in PART_PATTERNS:
        if pattern in command_line:
            return part
    return None


class RssSampler:
    """Samples the process trees under ``roots`` every ``interval`` seconds in a thread;
    a process belongs to the part its command line (or its nearest ancestor's) names.
    ``peaks()``: per part, the highest summed RSS seen (MB) and the most processes."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.roots: list[int] = []
        self._peak_mb: dict[str, float] = {}
        self._processes: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, roots: list[int]) -> None:
        self.roots = roots
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def peaks(self) -> dict[str, dict[str, float]]:
        return {
            part: {"peak_rss_mb": round(self._peak_mb[part]), "processes": self._processes[part]}
            for part in sorted(self._peak_mb)
        }

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        totals: dict[str, float] = {}
        counts: dict[str, int] = {}
        for process, part in self._walk():
            with contextlib.suppress(psutil.Error):
                totals[part] = totals.get(part, 0.0) + process.memory_info().rss / 2**20
                counts[part] = counts.get(part, 0) + 1
        for part, megabytes in totals.items():
            self._peak_mb[part] = max(self._peak_mb.get(part, 0.0), megabytes)
            self._processes[part] = max(self._processes.get(part, 0), counts[part])

    def _walk(self) -> Iterator[tuple[psutil.Process, str]]:
        for root in self.roots:
            with contextlib.suppress(psutil.Error):
                yield from self._tree(psutil.Process(root), "other")

    def _tree(
        self, process: psutil.Process, inherited: str
    ) -> Iterator[tuple[psutil.Process, str]]:
        try:
            part = part_of(" ".join(process.cmdline())) or inherited
            children = process.children()
        except psutil.Error:
            return
        if part not in ("other", "supervisor"):
            yield process, part
        for child in children:
            yield from self._tree(child, part)


# The systems.


@dataclass
class RunningSystem:
    name: SystemName
    protocol: Protocol
    url: str
    """Where visitors connect."""
    cold_start_seconds: float
    sampler: RssSampler
    log_dir: Path


class StockStack(Stack):
    """Redis, our action server and ``rasa run`` with Rasa's socket.io channel."""

    def __init__(
        self, config: StackConfig, workdir: Path, tuned: bool, report: Callable[[str], None]
    ) -> None:
        super().__init__(config, report=report)
        self.workdir = workdir
        self.tuned = tuned

    def start_rasa(self) -> None:
        credentials = self.workdir / "credentials.yml"
        credentials.write_text(SOCKETIO_CREDENTIALS)
        redis_port = self.config.embedded_redis_port if self.tuned else None
        endpoints = self.workdir / "endpoints.yml"
        endpoints.write_text(stock_endpoints_text(self.config.action_port, redis_port))
        environment = self._environment() | {"SANIC_WORKERS": "2" if self.tuned else "1"}
        self._start_and_wait(
            f"Rasa server ({'2 workers, Redis stores' if self.tuned else 'default'})",
            [
                "rasa", "run",  # the console script, as a Rasa user starts it
                "--model", str(self.config.model_path),
                "--endpoints", str(endpoints),
                "--credentials", str(credentials),
                "--interface", "127.0.0.1",
                "--port", str(self.config.rasa_port),
            ],
            environment | {"PATH": f"{Path(sys.executable).parent}:{environment['PATH']}"},
            f"{self.config.rasa_url}/",
            "rasa",
        )  # fmt: skip


def start_stock(
    name: SystemName, model: Path, workdir: Path, report: Callable[[str], None]
) -> tuple[StockStack, RunningSystem]:
    """Start a stock system; the caller stops the stack (``stack.stop()``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        embedded_redis_port=free_port(),
        gateway_ports=(),
        state_dir=workdir / "state",
        model_path=model,
    )
    stack = StockStack(config, workdir, tuned=name == "stock_tuned", report=report)
    sampler = RssSampler()
    started = time.monotonic()
    stack.start()  # stops what it started if a part fails
    cold_start = time.monotonic() - started
    sampler.start([managed.process.pid for managed in stack.processes])
    running = RunningSystem(name, "rasa", config.rasa_url, cold_start, sampler, config.log_dir)
    return stack, running


def start_ours(
    workdir: Path, environment: dict[str, str], timeout: float = 300.0
) -> tuple[ManagedProcess, RunningSystem]:
    """``make run`` on free ports with its state in ``workdir``, in its own process
    group; ready when it says so. The caller stops it (``stop_make_run``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    gateway_port = free_port()
    ports = {
        "GATEWAY_PORTS": str(gateway_port),
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "EMBEDDED_REDIS_PORT": str(free_port()),
        "STACK_STATE_DIR": str(workdir / "state"),
    }
    log_path = workdir / "make-run.log"
    env = dict(os.environ) | environment | ports
    env.pop("REDIS_URL", None)
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    make_run = ManagedProcess("make run", process, log_path)
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    try:
        while READY_LINE.encode() not in log_path.read_bytes():
            if process.poll() is not None:
                raise StackError(
                    f"make run exited with code {process.returncode}:\n{make_run.log_tail(20)}"
                )
            if time.monotonic() - started > timeout:
                raise StackError(f"make run was not ready after {timeout:.0f} s; see {log_path}")
            time.sleep(0.1)
        ready_after = time.monotonic() - started
        if not http_ok(f"{gateway_url}/health"):
            raise StackError(f"make run said it was ready but {gateway_url} is not")
    except BaseException:
        stop_make_run(make_run)
        raise
    sampler = RssSampler()
    sampler.start([process.pid])
    running = RunningSystem(
        "ours", "gateway", gateway_url, ready_after, sampler, workdir / "state" / "logs"
    )
    return make_run, running


def stop_make_run(make_run: ManagedProcess) -> None:
    """Ctrl-C, as a person stops it (the stack then stops every part)."""
    make_run.stop(timeout=30, signum=signal.SIGINT)
