"""The stack's settings: what `make run` passes to the servers."""

from __future__ import annotations

import pytest

from bot.stack import StackConfig


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
