"""bot/agents/demo.py and the stack's preflight: the demo agents exist only in demo mode,
and a real deployment refuses to start with a published demo password (finding 3)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest

from bot.agents.demo import (
    DEMO_AGENTS_FILE,
    agents_with_demo_passwords,
    demo_mode,
    roster_demo_problem,
    settle_demo_mode,
)
from bot.agents.roster import DEFAULT_AGENTS_FILE, load_roster
from bot.stack import Stack, StackConfig, StackError
from tests.conftest import ROOT


def quick_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()


@pytest.fixture
def no_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_MODE", raising=False)
    monkeypatch.delenv("AGENTS_FILE", raising=False)


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """The demo roster under the name of a real one."""
    path = tmp_path / "agents.yml"
    shutil.copy(DEMO_AGENTS_FILE, path)
    return path


def test_demo_mode_is_read_from_the_environment():
    assert demo_mode({"DEMO_MODE": "1"}) and demo_mode({"DEMO_MODE": "true"})
    assert not demo_mode({}) and not demo_mode({"DEMO_MODE": "0"})


def test_the_shipped_demo_agents_are_found_by_their_published_passwords():
    roster = load_roster(DEMO_AGENTS_FILE)
    hashes = {agent.agent_id: agent.password_hash for agent in roster.active()}
    assert agents_with_demo_passwords(hashes) == ["maria", "priya", "tom"]


def test_a_demo_password_set_again_is_found_and_a_real_one_is_not():
    hashes = {"maria": quick_hash("maria-demo-pass"), "tom": quick_hash("a-real-password-1")}
    assert agents_with_demo_passwords(hashes) == ["maria"]


def test_a_shipped_demo_hash_under_another_id_is_found():
    roster = load_roster(DEMO_AGENTS_FILE)
    assert agents_with_demo_passwords({"sam": roster.agents["tom"].password_hash}) == ["sam"]


def test_the_stack_refuses_to_start_with_a_demo_password_outside_demo_mode(
    no_demo_mode, demo_copy, monkeypatch, tmp_path
):
    monkeypatch.setenv("AGENTS_FILE", str(demo_copy))
    stack = Stack(StackConfig(state_dir=tmp_path), report=lambda line: None)
    with pytest.raises(StackError) as refused:
        stack.preflight()
    message = str(refused.value)
    assert "\n" not in message
    assert "maria, priya, tom use a published demo password" in message
    assert "python -m bot.agents set-password ID" in message
    assert "DEMO_MODE=1" in message


def test_the_stack_starts_with_them_in_demo_mode(demo_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTS_FILE", str(demo_copy))
    monkeypatch.setenv("DEMO_MODE", "1")
    Stack(StackConfig(state_dir=tmp_path), report=lambda line: None).preflight()


def test_disabled_demo_agents_do_not_stop_the_start(no_demo_mode, demo_copy):
    text = demo_copy.read_text().replace("disabled: false", "disabled: true")
    demo_copy.write_text(text)
    assert roster_demo_problem(demo_copy, {}) is None


def test_the_gateway_refuses_to_start_too(demo_copy, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AGENTS_FILE": str(demo_copy),
        "GATEWAY_CHANNEL_SECRET": "c" * 32,
        "GATEWAY_SESSION_SECRET": "s" * 32,
    }
    env.pop("DEMO_MODE", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.gateway"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "published demo password" in result.stderr


def test_a_fresh_checkout_runs_in_demo_mode_and_says_so(no_demo_mode):
    environ: dict[str, str] = {}
    banner = settle_demo_mode(environ, DEFAULT_AGENTS_FILE)  # ships with no agents
    assert environ["DEMO_MODE"] == "1"
    assert banner is not None and "DEMO MODE" in banner and "internet" in banner


def test_a_real_roster_or_an_explicit_choice_is_not_overridden(demo_copy, tmp_path):
    real = tmp_path / "real.yml"
    real.write_text(
        "agents:\n  sam:\n    name: Sam O\n    team: delivery\n    skills: [late_delivery]\n"
        f'    password_hash: "{quick_hash("a-real-password-1")}"\n'
    )
    environ: dict[str, str] = {}
    assert settle_demo_mode(environ, real) is None and "DEMO_MODE" not in environ
    explicit = {"DEMO_MODE": "0"}
    assert settle_demo_mode(explicit, DEFAULT_AGENTS_FILE) is None
    chosen = {"AGENTS_FILE": str(demo_copy)}
    assert settle_demo_mode(chosen, DEFAULT_AGENTS_FILE) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("GATEWAY_TRUSTED_PROXIES", "10.0.0.5, proxy.local"), ("AGENT_LOGIN_SOURCE_FAILURES", "0")],
)
def test_the_gateway_refuses_malformed_login_settings_naming_them(name, value):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DEMO_MODE": "1",
        "GATEWAY_CHANNEL_SECRET": "c" * 32,
        "GATEWAY_SESSION_SECRET": "s" * 32,
        name: value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.gateway"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {name}")
    assert len(result.stderr.strip().splitlines()) == 1
