"""The launchers that keep secrets off command lines (bot/rasa_server.py,
bot/action_server.py), the secret reader they share, and Rasa's telemetry default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.action_server import ACTION_TOKEN_HEADER, token_matches
from bot.action_server import main as action_server_main
from bot.embedded_redis import free_port
from bot.rasa_server import LauncherError, rasa_arguments
from bot.rasa_server import main as rasa_server_main
from bot.rasa_telemetry import telemetry_environment
from bot.secret_source import SecretError, read_secret, write_secret_file
from bot.settings import Settings, SettingsError
from bot.stack import Stack, StackConfig
from tests.conftest import ROOT

# The secret reader.


def test_a_secret_comes_from_the_environment_first(tmp_path):
    secret_file = write_secret_file(tmp_path / "token", "from-the-file")
    environ = {"SOME_TOKEN": "from-the-env", "SOME_TOKEN_FILE": str(secret_file)}
    assert read_secret("SOME_TOKEN", environ) == "from-the-env"
    assert read_secret("SOME_TOKEN", {"SOME_TOKEN_FILE": str(secret_file)}) == "from-the-file"


def test_a_secret_file_others_can_read_is_refused(tmp_path):
    secret_file = tmp_path / "token"
    secret_file.write_text("visible-to-everyone")
    secret_file.chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        read_secret("SOME_TOKEN", {"SOME_TOKEN_FILE": str(secret_file)})


@pytest.mark.parametrize("environ", [{}, {"SOME_TOKEN": "  "}, {"SOME_TOKEN_FILE": "/nowhere"}])
def test_a_missing_secret_is_named(environ):
    with pytest.raises(SecretError, match="SOME_TOKEN"):
        read_secret("SOME_TOKEN", environ)


def test_secret_files_are_written_for_their_owner_only(tmp_path):
    existing = tmp_path / "token"
    existing.write_text("old")
    existing.chmod(0o644)
    write_secret_file(existing, "new")
    assert existing.stat().st_mode & 0o777 == 0o600
    assert existing.read_text() == "new"
    assert write_secret_file(tmp_path / "sub" / "fresh", "x").stat().st_mode & 0o777 == 0o600


# Rasa's launcher.


def test_rasa_gets_the_token_in_memory_in_the_equals_form():
    assert rasa_arguments(["run", "--enable-api"], "-starts-with-a-dash") == [
        "rasa", "run", "--enable-api", "--auth-token=-starts-with-a-dash",
    ]  # fmt: skip
    assert rasa_arguments(["run", "--port", "5005"], None) == ["rasa", "run", "--port", "5005"]


@pytest.mark.parametrize(
    "arguments", [["run", "--auth-token", "t"], ["run", "--auth-token=t"], ["train"], []]
)
def test_rasa_launcher_refuses_a_token_on_its_command_line_and_other_commands(arguments):
    with pytest.raises(LauncherError):
        rasa_arguments(arguments, "token")


def test_rasa_with_its_http_api_does_not_start_without_a_token(monkeypatch, capsys):
    monkeypatch.delenv("RASA_API_TOKEN", raising=False)
    monkeypatch.delenv("RASA_API_TOKEN_FILE", raising=False)
    assert rasa_server_main(["run", "--enable-api"]) == 2
    assert "RASA_API_TOKEN" in capsys.readouterr().err


# Telemetry.


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "false"), ({"RASA_TELEMETRY_ENABLED": ""}, "false"),
     ({"RASA_TELEMETRY_ENABLED": "yes"}, "false"), ({"RASA_TELEMETRY_ENABLED": "True"}, "true")],
)  # fmt: skip
def test_rasa_telemetry_is_off_unless_the_operator_says_true(environ, expected):
    assert telemetry_environment(environ) == {"RASA_TELEMETRY_ENABLED": expected}


def make_sees(environ: dict[str, str]) -> str:
    """What a recipe of the Makefile (so every ``rasa`` it runs) has in
    RASA_TELEMETRY_ENABLED."""
    completed = subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval",
         "show-telemetry: ; @echo \"[$$RASA_TELEMETRY_ENABLED]\"", "show-telemetry"],
        cwd=ROOT, capture_output=True, text=True, check=True, env=environ,
    )  # fmt: skip
    return completed.stdout.strip()


def test_make_runs_rasa_with_telemetry_off_unless_opted_in():
    environ = {key: value for key, value in os.environ.items() if key != "RASA_TELEMETRY_ENABLED"}
    assert make_sees(environ) == "[false]"
    assert make_sees(environ | {"RASA_TELEMETRY_ENABLED": "true"}) == "[true]"


# The action server's launcher.


def test_the_action_token_compare_needs_the_exact_token():
    assert token_matches("s3cret-token", "s3cret-token")
    assert not token_matches("s3cret-tokeN", "s3cret-token")
    assert not token_matches("", "s3cret-token")
    assert not token_matches(None, "s3cret-token")
    assert not token_matches("s3cret-token-and-more", "s3cret-token")


def test_the_action_server_does_not_start_without_a_token(monkeypatch, capsys):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.delenv("ACTION_SERVER_TOKEN_FILE", raising=False)
    assert action_server_main(["--actions", "actions", "--port", "1"]) == 2
    assert "ACTION_SERVER_TOKEN" in capsys.readouterr().err


ACTION_TOKEN = "unit-action-token-0123456789"


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m bot.action_server`` for real, with the token in its environment."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("actions") / "actions.log"
    environment = os.environ | {
        "ACTION_SERVER_TOKEN": ACTION_TOKEN, "SANIC_HOST": "127.0.0.1", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--actions", "actions",
             "--port", str(port)],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                pytest.fail(f"the action server exited: {log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1).close()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def post_action(url: str, name: str, headers: dict[str, str]) -> tuple[int, dict]:
    body = {
        "next_action": name,
        "sender_id": "unit-launcher",
        "version": "3.6.2",
        "domain": {},
        "tracker": {"sender_id": "unit-launcher", "slots": {}, "latest_message": {},
                    "events": [], "paused": False, "followup_action": None,
                    "active_loop": {}, "latest_action_name": None},
    }  # fmt: skip
    request = urllib.request.Request(
        f"{url}/webhook", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("headers", [{}, {ACTION_TOKEN_HEADER: "wrong"},
                                     {"Authorization": f"Bearer {ACTION_TOKEN}"}])  # fmt: skip
def test_the_action_server_refuses_webhook_calls_without_the_token(action_server, headers):
    status, body = post_action(action_server, "action_keep_order", headers)
    assert status == 401
    assert body["error"] == "unauthorized" and ACTION_TOKEN_HEADER in body["detail"]


def test_the_action_server_runs_actions_for_the_token_and_keeps_health_open(action_server):
    status, body = post_action(
        action_server, "action_keep_order", {ACTION_TOKEN_HEADER: ACTION_TOKEN}
    )
    assert status == 200, body
    assert "events" in body and "responses" in body
    with urllib.request.urlopen(f"{action_server}/health", timeout=5) as reply:
        assert reply.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{action_server}/actions", timeout=5)
    assert refused.value.code == 401


def test_the_launchers_need_no_rasa_import_to_check_their_arguments():
    # The action server must never load Rasa (TensorFlow); the check runs before it would.
    script = (
        "import sys; from bot import action_server, rasa_server; "
        "print(','.join(m for m in ('rasa', 'tensorflow') if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert completed.stdout.strip() == ""


# Commands run beside `make run` find its embedded Redis through a 0600 file.


def test_redis_url_comes_from_the_file_redis_url_file_names(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    url_file = write_secret_file(tmp_path / "redis-url", "redis://:pw@127.0.0.1:6390/0\n")
    monkeypatch.setenv("REDIS_URL_FILE", str(url_file))
    assert Settings.from_environment().redis_url == "redis://:pw@127.0.0.1:6390/0"

    url_file.chmod(0o644)
    with pytest.raises(SettingsError, match="REDIS_URL_FILE"):
        Settings.from_environment()


def test_the_stack_keeps_the_embedded_redis_url_for_its_owner_only_while_it_runs(tmp_path):
    stack = Stack(
        StackConfig(state_dir=tmp_path, embedded_redis_port=free_port()), report=lambda _: None
    )
    stack.config.log_dir.mkdir(parents=True)
    try:
        stack._start_redis()
        url_file = stack.config.redis_url_file
        assert url_file.read_text() == stack.redis_url
        assert stack.config.embedded_redis_password in stack.redis_url
        assert url_file.stat().st_mode & 0o777 == 0o600
    finally:
        stack.stop()
    assert not url_file.exists()
