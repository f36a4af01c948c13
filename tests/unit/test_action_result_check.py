"""The action server's answers are checked as Rasa checks them, with the validator
built once instead of the schema re-checked on every custom action."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.channels import action_result_check
from bot.channels.action_result_check import HINT, validate_action_result

ACTION = RemoteAction("action_anything", None)
VALID = {
    "events": [{"event": "slot", "name": "order_id", "value": "48213"}],
    "responses": [{"text": "Thanks"}],
}
INVALID: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": [{"event": "slot", "timestamp": "yesterday"}], "responses": []},
]


def test_a_valid_answer_passes() -> None:
    assert validate_action_result(ACTION, VALID) is True


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_answer_raises_the_error_rasa_raises(answer: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        validate_action_result(ACTION, answer)
    assert ours.value.message == rasas.value.message + HINT
    assert list(ours.value.absolute_path) == list(rasas.value.absolute_path)


def test_the_schema_itself_is_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    action_result_check.action_result_validator.cache_clear()
    validator_class = jsonschema.validators.validator_for(
        RemoteAction.action_response_format_spec()
    )
    checks = []
    original = validator_class.check_schema
    monkeypatch.setattr(
        validator_class, "check_schema", classmethod(lambda cls, s: checks.append(s) or original(s))
    )
    for _ in range(20):
        validate_action_result(ACTION, VALID)
    assert len(checks) == 1
    action_result_check.action_result_validator.cache_clear()


def test_building_the_gateway_channel_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.channels.gateway_input import GatewayInput

    def rasas_own(_action: RemoteAction, _result: dict[str, Any]) -> bool:
        raise AssertionError("Rasa's own check ran")

    monkeypatch.setattr(RemoteAction, "_validate_action_result", rasas_own)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # never connected to here
    GatewayInput.from_credentials({"secret": "a-channel-secret-of-some-length"})

    assert RemoteAction._validate_action_result is validate_action_result
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        ACTION._validate_action_result(INVALID[0])
