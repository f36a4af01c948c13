"""The stack's settings: what `make run` passes to the servers."""

from __future__ import annotations

import pytest

from bot.stack import Stack, StackConfig, StackError


def test_generated_api_tokens_never_look_like_a_command_line_option():
    # A token starting with "-" once made `rasa run --auth-token TOKEN` fail.
    tokens = [StackConfig().api_token for _ in range(200)]
    assert all(token[0].isalnum() for token in tokens)
    assert len(set(tokens)) == len(tokens)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RASA_PORT", "6005")
    monkeypatch.setenv("ACTION_SERVER_PORT", "6055")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:7000/1")
    monkeypatch.setenv("RASA_API_TOKEN", "-starts-with-a-dash")
    config = StackConfig.from_environment()
    assert (config.rasa_port, config.action_port) == (6005, 6055)
    assert config.redis_url == "redis://127.0.0.1:7000/1"
    assert config.api_token == "-starts-with-a-dash"
    assert config.rasa_url == "http://127.0.0.1:6005"


def test_gateway_ports_and_session_secret_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("GATEWAY_PORTS", "8000, 8001")
    monkeypatch.setenv("GATEWAY_SESSION_SECRET", "a-shared-session-secret-123")
    config = StackConfig.from_environment()
    assert config.gateway_ports == (8000, 8001)
    assert config.gateway_urls == ["http://127.0.0.1:8000", "http://127.0.0.1:8001"]
    assert config.session_secret == "a-shared-session-secret-123"


@pytest.mark.parametrize("value", ["eighty", "8000;8001", " , "])
def test_malformed_gateway_ports_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
):
    monkeypatch.setenv("GATEWAY_PORTS", value)
    with pytest.raises(StackError, match="GATEWAY_PORTS"):
        StackConfig.from_environment()


def test_the_session_secret_is_kept_between_runs(tmp_path):
    first = Stack(StackConfig(state_dir=tmp_path), report=lambda line: None)
    second = Stack(StackConfig(state_dir=tmp_path), report=lambda line: None)
    secret = first._gateway_environment(8000)["GATEWAY_SESSION_SECRET"]
    assert len(secret) >= 32
    assert second._gateway_environment(8001)["GATEWAY_SESSION_SECRET"] == secret
    assert (tmp_path / "gateway-session-secret").stat().st_mode & 0o777 == 0o600


def test_rasa_runs_one_worker_per_core_unless_told(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RASA_WORKERS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert StackConfig.from_environment().rasa_workers == 2
    monkeypatch.setattr("os.cpu_count", lambda: 32)  # each worker holds the model: capped
    assert StackConfig.from_environment().rasa_workers == 4
    monkeypatch.setenv("RASA_WORKERS", "1")
    assert StackConfig.from_environment().rasa_workers == 1


@pytest.mark.parametrize("value", ["0", "two", "-1", "65"])
def test_malformed_rasa_workers_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
):
    monkeypatch.setenv("RASA_WORKERS", value)
    with pytest.raises(StackError, match="RASA_WORKERS="):
        StackConfig.from_environment()


def test_rasa_runs_at_a_lower_priority_unless_told(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RASA_NICENESS", raising=False)
    assert StackConfig.from_environment().rasa_niceness == 5
    monkeypatch.setenv("RASA_NICENESS", "0")
    assert StackConfig.from_environment().rasa_niceness == 0
    monkeypatch.setenv("RASA_NICENESS", "20")
    with pytest.raises(StackError, match="RASA_NICENESS="):
        StackConfig.from_environment()
