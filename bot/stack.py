"""Start everything the product needs, wait until it is healthy, stop it all on Ctrl-C.

``python -m bot.stack`` is what ``make run`` starts after setup and training:

1. checks business.yml (a mistake is reported with its line, nothing starts);
2. Redis: ``REDIS_URL`` if set (it must answer), else the embedded redis-server
   on 127.0.0.1:6390 with its data under ``.data/redis``;
3. the action server on 127.0.0.1 (``SANIC_HOST``: rasa-sdk has no host flag), through
   ``bot.action_server``: only requests with the per-run ``ACTION_SERVER_TOKEN`` (which
   Rasa sends, endpoints.yml) run actions;
4. the gateway process(es) (``GATEWAY_PORTS``): visitors' sockets, sessions,
   transcripts; they hold visitors even while Rasa is still loading;
5. the Rasa server on 127.0.0.1 with the gateway channel (shared secret) and its
   HTTP API protected by a token, through ``bot.rasa_server`` so the token is in a 0600
   file (``.data/rasa-api-token``), not on a command line.

Every secret reaches a child by environment or 0600 file, never by argv (``ps`` shows
argv to every local user), and Rasa's telemetry is off unless the operator opts in.

The test suite uses ``Stack`` directly, on free ports, to hold real conversations.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from bot.agents.demo import roster_demo_problem, settle_demo_mode
from bot.agents.roster import DEFAULT_AGENTS_FILE, RosterError, load_roster, roster_file_path
from bot.business import BusinessRulesError, business_file_path, load_business_rules
from bot.embedded_redis import (
    RedisBinaryError,
    embedded_redis_url,
    masked_redis_url,
    port_is_taken,
    redis_answers,
    redis_environment,
    start_embedded_redis,
    wait_for_redis,
)
from bot.rasa_telemetry import telemetry_environment
from bot.retention import RetentionPolicy, RetentionSettingsError, rasa_retention_environment
from bot.secret_source import write_secret_file
from bot.settings import DEFAULT_EMBEDDED_REDIS_PORT
from bot.training import MODEL_PATH, ROOT, model_is_current, train


class StackError(RuntimeError):
    """Something the stack needs is missing or did not come up; the message says what."""


@dataclass
class StackConfig:
    """Where each part of the stack listens and keeps its files."""

    rasa_port: int = 5005
    action_port: int = 5055
    redis_url: str | None = None
    """An external Redis; ``None`` starts the embedded one on ``embedded_redis_port``."""
    embedded_redis_port: int = DEFAULT_EMBEDDED_REDIS_PORT
    embedded_redis_password: str = field(default_factory=lambda: secrets.token_hex(24))
    """Required by the embedded Redis; new every run, given to the children by environment."""
    state_dir: Path = ROOT / ".data"
    model_path: Path = MODEL_PATH
    api_token: str = field(default_factory=lambda: secrets.token_hex(24))
    gateway_ports: tuple[int, ...] = (8000,)
    channel_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    """Shared by the gateways and Rasa's gateway channel; new every run."""
    action_server_token: str = field(default_factory=lambda: secrets.token_hex(24))
    """Rasa sends it to the action server, which refuses requests without it; new every run."""
    session_secret: str | None = None
    """Signs session ids; ``None``: kept in ``<state_dir>/gateway-session-secret`` so
    visitors' sessions survive a restart."""
    startup_timeout: float = 240.0
    rasa_workers: int = 1
    """Sanic workers of the Rasa server (``SANIC_WORKERS``): each loads the model
    (about 1 GB) and they share the conversations through Redis."""
    rasa_niceness: int = 0
    """Added to the Rasa server's nice value: inference is throughput work and can wait
    a moment; the gateway's relays, Redis and the action server cannot."""

    @classmethod
    def from_environment(cls) -> StackConfig:
        return cls(
            rasa_port=int(os.environ.get("RASA_PORT", "5005")),
            action_port=int(os.environ.get("ACTION_SERVER_PORT", "5055")),
            redis_url=os.environ.get("REDIS_URL") or None,
            embedded_redis_port=int(
                os.environ.get("EMBEDDED_REDIS_PORT", str(DEFAULT_EMBEDDED_REDIS_PORT))
            ),
            api_token=os.environ.get("RASA_API_TOKEN") or secrets.token_hex(24),
            state_dir=Path(os.environ.get("STACK_STATE_DIR") or ROOT / ".data"),
            gateway_ports=_ports(os.environ.get("GATEWAY_PORTS") or "8000"),
            session_secret=os.environ.get("GATEWAY_SESSION_SECRET") or None,
            rasa_workers=_workers(os.environ.get("RASA_WORKERS")),
            rasa_niceness=_niceness(os.environ.get("RASA_NICENESS") or "5"),
        )

    @property
    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def api_token_file(self) -> Path:
        """Where Rasa's API token is kept (0600) for ``bot.rasa_server`` and for people."""
        return self.state_dir / "rasa-api-token"

    @property
    def redis_url_file(self) -> Path:
        """The embedded Redis's URL (with its password), 0600, while the stack runs: for
        commands run beside it (``REDIS_URL_FILE``, README "Configuration")."""
        return self.state_dir / "redis-url"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"


def _ports(value: str) -> tuple[int, ...]:
    try:
        ports = tuple(int(port) for port in value.split(",") if port.strip())
    except ValueError:
        ports = ()
    if not ports:
        raise StackError(f"GATEWAY_PORTS={value!r} must be one or more ports, like 8000,8001")
    return ports


MAX_DEFAULT_RASA_WORKERS = 4


def _workers(value: str | None) -> int:
    """``RASA_WORKERS``, or one per core (at most 4: each holds the model in memory)."""
    if not value:
        return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_RASA_WORKERS))
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise StackError(f"RASA_WORKERS={value!r} must be a number of processes from 1 to 64")
    return int(value)


def _niceness(value: str) -> int:
    if not value.isdigit() or int(value) > 19:
        raise StackError(f"RASA_NICENESS={value!r} must be a number from 0 to 19")
    return int(value)


@dataclass
class ManagedProcess:
    """A child process and the log file it writes to."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self, timeout: float = 15.0, signum: int = signal.SIGTERM) -> None:
        """``signum`` to the process group, SIGKILL if it is still there after ``timeout``."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return 200 <= reply.status < 300
    except (urllib.error.URLError, OSError):
        return False


class Stack:
    """Redis, the action server and the Rasa server, started and stopped together."""

    def __init__(self, config: StackConfig, report: Callable[[str], None] = print) -> None:
        self.config = config
        self.report = report
        self.processes: list[ManagedProcess] = []
        self.redis_url = ""

    def preflight(self) -> None:
        """The checks that need nothing started: business.yml, agents.yml, and REDIS_URL
        if set."""
        self._check_business_rules()
        self._check_roster()
        if self.config.redis_url and not redis_answers(self.config.redis_url):
            raise StackError(
                f"Redis at REDIS_URL={masked_redis_url(self.config.redis_url)} does not "
                "answer: start that server, or unset REDIS_URL to use the embedded one."
            )

    def start(self) -> None:
        """Check, then start every part in order and wait until each is healthy."""
        self.preflight()
        self.launch()

    def launch(self) -> None:
        """Start every part in order (after ``preflight``) and wait until each is healthy."""
        if not self.config.model_path.exists():
            raise StackError(f"no trained model at {self.config.model_path}: run `make train`")
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_redis()
            self.start_action_server()
            for port in self.config.gateway_ports:
                self.start_gateway(port)
            self.start_rasa()
        except BaseException:
            self.stop()
            raise

    def start_rasa(self) -> None:
        """Start the Rasa server (also to restart it after ``stop_part("rasa")``)."""
        # Rasa's lock on a conversation outlives a killed Rasa by this long; the
        # gateway already sends one message per conversation at a time.
        write_secret_file(self.config.api_token_file, self.config.api_token)
        environment = self._environment() | {
            "TICKET_LOCK_LIFETIME": "15",
            "SANIC_WORKERS": str(self.config.rasa_workers),
            "RASA_API_TOKEN_FILE": str(self.config.api_token_file),
        }
        workers = self.config.rasa_workers
        self._start_and_wait(
            f"Rasa server ({workers} worker{'s' if workers > 1 else ''}; loading the model "
            "takes 20-40 s)",
            [
                sys.executable, "-m", "bot.rasa_server", "run",
                "--model", str(self.config.model_path),
                "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml",
                "--interface", "127.0.0.1",
                "--port", str(self.config.rasa_port),
                "--enable-api",  # the token: RASA_API_TOKEN_FILE, never argv
            ],
            environment,
            f"{self.config.rasa_url}/",
            "rasa",
            niceness=self.config.rasa_niceness,
        )  # fmt: skip

    def start_action_server(self) -> None:
        """Start the action server (also to restart it after ``stop_part("actions")``)."""
        self._start_and_wait(
            "action server",
            [sys.executable, "-m", "bot.action_server", "--actions", "actions",
             "--port", str(self.config.action_port)],
            self._environment() | {"SANIC_HOST": "127.0.0.1"},
            f"{self.config.action_url}/health",
            "actions",
        )  # fmt: skip

    def start_gateway(self, port: int) -> None:
        """Start one gateway process (also to restart it after ``stop_part``)."""
        self._start_and_wait(
            f"gateway on port {port}",
            [sys.executable, "-m", "bot.gateway"],
            self._environment() | self._gateway_environment(port),
            f"http://127.0.0.1:{port}/health",
            f"gateway-{port}",
        )

    def _gateway_environment(self, port: int) -> dict[str, str]:
        return {
            "GATEWAY_PORT": str(port),
            "GATEWAY_HOST": "127.0.0.1",
            "RASA_URL": self.config.rasa_url,
            "GATEWAY_SESSION_SECRET": self._session_secret(),
        }

    def _session_secret(self) -> str:
        if self.config.session_secret:
            return self.config.session_secret
        path = self.config.state_dir / "gateway-session-secret"
        if not path.exists():
            write_secret_file(path, secrets.token_hex(32))
        return path.read_text().strip()

    def process(self, name: str) -> ManagedProcess:
        """The running part called ``name`` ("rasa", "actions", "gateway-8000", ...)."""
        return next(m for m in self.processes if m.name == name)

    def kill_part(self, name: str) -> None:
        """Kill one part with SIGKILL (no chance to clean up), as a crash would."""
        for managed in [m for m in self.processes if m.name == name]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(managed.process.pid, signal.SIGKILL)
            managed.process.wait()
            self.processes.remove(managed)

    def stop_part(self, name: str) -> None:
        """Stop one part ("redis", "actions", "rasa", "gateway-<port>"), leaving the others."""
        for managed in [m for m in self.processes if m.name == name]:
            managed.stop()
            self.processes.remove(managed)

    def stop(self) -> None:
        """Stop every process this stack started, newest first."""
        for managed in reversed(self.processes):
            managed.stop()
        self.processes.clear()
        if not self.config.redis_url:  # the embedded one's password dies with it
            self.config.redis_url_file.unlink(missing_ok=True)

    def dead_process(self) -> ManagedProcess | None:
        return next((m for m in self.processes if m.process.poll() is not None), None)

    def _check_business_rules(self) -> None:
        try:
            load_business_rules(business_file_path())
        except BusinessRulesError as error:
            raise StackError(str(error)) from None

    def _check_roster(self) -> None:
        try:
            load_roster(roster_file_path())
        except RosterError as error:
            raise StackError(str(error)) from None
        problem = roster_demo_problem(roster_file_path())
        if problem is not None:
            raise StackError(problem)

    def _start_redis(self) -> None:
        if self.config.redis_url:
            self.redis_url = self.config.redis_url
            self.report(f"Using Redis at {masked_redis_url(self.redis_url)} (REDIS_URL).")
            return
        port = self.config.embedded_redis_port
        url = embedded_redis_url(port, self.config.embedded_redis_password)
        if port_is_taken(port):
            raise StackError(
                f"port {port} for the embedded Redis is taken: stop what uses it, set "
                "EMBEDDED_REDIS_PORT to another port, or point REDIS_URL at a running Redis."
            )
        log_path = self.config.log_dir / "redis.log"
        try:
            process = start_embedded_redis(
                port, self.config.state_dir / "redis", log_path, self.config.embedded_redis_password
            )
        except RedisBinaryError as error:
            raise StackError(str(error)) from None
        self.processes.append(ManagedProcess("redis", process, log_path))
        if not wait_for_redis(url, process, timeout=15):
            raise StackError(
                f"the embedded Redis did not start (REDIS_URL is unset, so it was to run on "
                f"port {port}); its log:\n{self.processes[-1].log_tail()}"
            )
        self.redis_url = url
        write_secret_file(self.config.redis_url_file, url)
        self.report(
            f"Redis is up at {masked_redis_url(url)} (embedded, password-protected; data in "
            f"{self.config.state_dir / 'redis'})."
        )

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        environment.pop("RASA_API_TOKEN", None)  # Rasa alone gets it, from its 0600 file
        environment.update(redis_environment(self.redis_url))
        try:
            environment.update(rasa_retention_environment(RetentionPolicy.from_environment()))
        except RetentionSettingsError as error:
            raise StackError(str(error)) from None
        environment.update(telemetry_environment())
        environment["ACTION_SERVER_TOKEN"] = self.config.action_server_token
        environment["ACTION_SERVER_PORT"] = str(self.config.action_port)
        environment["BUSINESS_FILE"] = str(business_file_path())
        environment["AGENTS_FILE"] = str(roster_file_path())
        environment["GATEWAY_CHANNEL_SECRET"] = self.config.channel_secret
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), environment.get("PYTHONPATH")])
        )
        return environment

    def _start_and_wait(
        self,
        label: str,
        command: list[str],
        environment: dict[str, str],
        health_url: str,
        log_name: str,
        niceness: int = 0,
    ) -> None:
        log_path = self.config.log_dir / f"{log_name}.log"
        self.report(f"Starting the {label}...")
        started = time.monotonic()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
            )
        managed = ManagedProcess(log_name, process, log_path)
        self.processes.append(managed)
        deadline = started + self.config.startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(
                    f"the {log_name} process exited with code {process.returncode}; "
                    f"last lines of {log_path}:\n{managed.log_tail()}"
                )
            if http_ok(health_url):
                self.report(f"  ready after {time.monotonic() - started:.0f} s.")
                return
            time.sleep(0.5)
        raise StackError(f"the {log_name} process was not healthy after "
                         f"{self.config.startup_timeout:.0f} s; see {log_path}")  # fmt: skip


READY_LINE = "The complaint assistant is running."
"""What ``main`` prints once every part is healthy (``make bench`` waits for it)."""


def _print_ready(config: StackConfig) -> None:
    print(
        f"\n{READY_LINE}\n"
        f"  Demo shop with the widget:    {config.gateway_urls[0]}/demo/\n"
        f"  Widget script for your site:  {config.gateway_urls[0]}/widget.js  "
        '(README, "Embed the widget")\n'
        f"  Talk to it in this terminal:  make shell   (in another terminal)\n"
        f"  Visitors connect to:          {', '.join(config.gateway_urls)}/socket.io "
        "(docs/protocol.md)\n"
        f"  Gateway health:               {config.gateway_urls[0]}/health\n"
        f"  Agent API (OpenAPI 3):        {config.gateway_urls[0]}/api/openapi.json  "
        '(agents, demo mode: README, "Human handoff")\n'
        f"  Rasa HTTP API (token):        {config.rasa_url}  token in "
        f"{config.api_token_file}\n"
        f"  Logs:                         {config.log_dir}/\n"
        "Press Ctrl-C to stop everything.",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start Redis, the action server and Rasa.")
    parser.add_argument(
        "--train-if-needed",
        action="store_true",
        help="after the checks, train the model if data/, config.yml or domain.yml changed",
    )
    args = parser.parse_args(argv)
    try:
        config = StackConfig.from_environment()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    banner = settle_demo_mode(os.environ, DEFAULT_AGENTS_FILE)
    if banner is not None:
        print(banner, flush=True)
    stack = Stack(config, report=lambda line: print(line, flush=True))

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)  # also when started with SIGINT ignored
    try:
        stack.preflight()
        if args.train_if_needed:
            if model_is_current():
                print(f"Model is up to date ({config.model_path.relative_to(ROOT)}).", flush=True)
            else:
                train()
        stack.launch()
        _print_ready(config)
        if banner is not None:
            print(banner, flush=True)
        while (dead := stack.dead_process()) is None:
            time.sleep(1)
        print(
            f"error: the {dead.name} process stopped (exit code {dead.process.returncode}); "
            f"last lines of {dead.log_path}:\n{dead.log_tail()}",
            file=sys.stderr,
        )
        return 1
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    raise SystemExit(main())
