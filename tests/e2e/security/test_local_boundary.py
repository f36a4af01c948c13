"""Finding 6 of issue 16 (the local boundary) and Rasa's telemetry (finding 8), as attacks
by a local user or a web page in a browser on the same host, against the real stack.

- ``ps`` no longer shows a secret: Rasa's API token, the Redis password, the gateway
  channel and session secrets, the action server's token;
- the action server runs nothing for a request without Rasa's per-run token;
- the embedded Redis answers only with its per-run password and has no CONFIG/DEBUG;
- every Rasa process runs with telemetry off, and says nothing about it on a fresh
  machine.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import aiohttp
import psutil
import pytest
import redis

from bot.action_server import ACTION_TOKEN_HEADER
from bot.stack import Stack
from tests.conftest import ROOT

pytestmark = pytest.mark.stack


def stack_secrets(stack: Stack) -> dict[str, str]:
    config = stack.config
    session_secret = config.session_secret or (
        (config.state_dir / "gateway-session-secret").read_text().strip()
    )
    return {
        "Rasa API token": config.api_token,
        "Redis password": config.embedded_redis_password,
        "gateway channel secret": config.channel_secret,
        "gateway session secret": session_secret,
        "action server token": config.action_server_token,
    }


def started_processes(stack: Stack) -> list[psutil.Process]:
    """Every process the stack started, with their children (Sanic's workers...)."""
    processes = []
    for managed in stack.processes:
        parent = psutil.Process(managed.process.pid)
        processes += [parent, *parent.children(recursive=True)]
    return processes


def rasa_processes(stack: Stack) -> list[psutil.Process]:
    parent = psutil.Process(stack.process("rasa").process.pid)
    return [parent, *parent.children(recursive=True)]


def test_no_secret_is_on_the_command_line_of_any_process(stack):
    processes = started_processes(stack)
    assert {"redis", "actions", "rasa"} <= {managed.name for managed in stack.processes}
    command_lines = {
        process.pid: Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        for process in processes
    }
    # what any local user sees, for every process on the machine
    everything_ps_shows = subprocess.run(
        ["ps", "-eww", "-o", "args="], capture_output=True, text=True, check=True
    ).stdout
    for name, secret in stack_secrets(stack).items():
        assert len(secret) >= 16, name
        for pid, command_line in command_lines.items():
            assert secret not in command_line, f"the {name} is on the command line of {pid}"
        assert secret not in everything_ps_shows, f"ps shows the {name}"
    assert any("bot.rasa_server" in line for line in command_lines.values())
    assert any("bot.action_server" in line for line in command_lines.values())


async def test_rasas_api_token_is_in_a_file_only_its_owner_can_read(stack, rasa_api):
    token_file = stack.config.api_token_file
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert token_file.read_text() == stack.config.api_token
    # the token Rasa got through the launcher is the one in the file
    assert (await rasa_api.parse("my parcel never arrived"))["intent"]["name"]


def action_call(action: str, sender_id: str, slots: dict[str, str]) -> dict:
    """What Rasa posts to the action server's /webhook to run ``action``."""
    return {
        "next_action": action,
        "sender_id": sender_id,
        "version": "3.6.2",
        "domain": {},
        "tracker": {"sender_id": sender_id, "slots": slots, "latest_message": {},
                    "events": [], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": None},
    }  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {ACTION_TOKEN_HEADER: "a-guess-0123456789"},
        # a page in a browser on this host: a "simple" cross-site POST, no preflight
        {"Origin": "http://evil.example", "Content-Type": "text/plain"},
    ],
)
async def test_the_action_server_runs_no_action_without_rasas_token(stack, records, headers):
    intruder = f"intruder-{secrets.token_hex(4)}"
    body = json.dumps(action_call("action_cancel_order", intruder, {"order_id": "48213"}))
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stack.config.action_url}/webhook", data=body, headers=headers) as reply,
    ):
        assert reply.status == 401
        refusal = await reply.json()
        assert "access-control-allow-origin" not in {name.lower() for name in reply.headers}
    assert refusal["error"] == "unauthorized"
    assert ACTION_TOKEN_HEADER in refusal["detail"]
    assert [c for c in await records.cancellations() if c.session_id == intruder] == []


async def test_the_action_server_refuses_a_browsers_preflight(stack):
    headers = {
        "Origin": "http://evil.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": ACTION_TOKEN_HEADER,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.options(f"{stack.config.action_url}/webhook", headers=headers) as reply,
    ):
        assert reply.headers.get("Access-Control-Allow-Origin") is None


async def test_the_action_server_runs_an_action_for_rasas_token(stack):
    body = action_call("action_keep_order", f"owner-{secrets.token_hex(4)}", {})
    headers = {ACTION_TOKEN_HEADER: stack.config.action_server_token}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stack.config.action_url}/webhook", json=body, headers=headers) as reply,
    ):
        assert reply.status == 200
        assert "events" in await reply.json()
        health = await session.get(f"{stack.config.action_url}/health")
        assert health.status == 200  # open: it says only that the server is up


async def test_rasa_still_runs_our_actions_with_the_token_it_was_given(visitor):
    # The restatement is written by an action (actions/complaint.py): Rasa reached the
    # action server with the per-run token from endpoints.yml.
    replies = await visitor.say("my kettle from order #48213 arrived smashed")
    assert len(replies) == 2
    assert "#48213" in replies[1] and "kettle" in replies[1]


def test_redis_refuses_a_client_without_the_password(stack):
    port = stack.config.embedded_redis_port
    for password in (None, "a-guess-0123456789"):
        intruder = redis.Redis(host="127.0.0.1", port=port, password=password)
        with pytest.raises(redis.AuthenticationError):
            intruder.set("agent-session:forged", "maria")  # minting an agent session
        intruder.close()
    with redis.Redis.from_url(stack.redis_url) as client:
        assert client.ping()
        assert client.get("agent-session:forged") is None


@pytest.mark.parametrize(
    "command", [("CONFIG", "SET", "dir", "/tmp"), ("DEBUG", "SLEEP", "0"), ("MODULE", "LIST")]
)
def test_redis_with_the_password_still_has_no_config_debug_or_module(stack, command):
    with redis.Redis.from_url(stack.redis_url) as client:
        with pytest.raises(redis.ResponseError, match="unknown command"):
            client.execute_command(*command)
        assert client.eval("return 'lua stays'", 0) == b"lua stays"


def test_every_rasa_process_runs_with_telemetry_off(stack):
    processes = rasa_processes(stack)
    assert processes  # Sanic's main process (and its workers when there are several)
    for process in processes:
        assert process.environ().get("RASA_TELEMETRY_ENABLED") == "false"
    log = stack.process("rasa").log_path.read_text(errors="replace").lower()
    assert "telemetry" not in log


def test_rasa_in_that_environment_on_a_fresh_machine_sends_nothing_and_prints_no_banner(
    stack, tmp_path
):
    environment = rasa_processes(stack)[0].environ() | {"HOME": str(tmp_path)}
    environment.pop("XDG_CONFIG_HOME", None)
    check = (
        "import rasa.telemetry as t; "
        "print('initialised', t.initialize_telemetry(), 'enabled', t.is_telemetry_enabled())"
    )
    completed = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert completed.stdout.strip().splitlines()[-1] == "initialised False enabled False"
    assert "telemetry" not in completed.stdout.replace("rasa.telemetry", "").lower()
    # (Rasa still writes ~/.config/rasa/global.yml with its default "enabled: true";
    # the environment variable, set for every Rasa process we start, overrides it.)
