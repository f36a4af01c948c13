"""Rasa checks every action server answer against a JSON schema, and with
``jsonschema.validate`` it first checks that schema against the JSON Schema
meta-schema, on every custom action of every turn. Measured under load (py-spy,
``make bench``) the meta-schema check alone was a fifth of the Rasa server's CPU.

``install()`` swaps in the same check with the validator built once: the same schema,
the same error picked (``best_match``), the same message, raised the same way.
The gateway channel installs it when Rasa builds the channel at start-up.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

HINT = (
    ". Failed to validate Action server response from API, make sure your response from "
    f"the Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)
"""Rasa's own wording, appended to the error as Rasa does."""


@cache
def action_result_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, not per action
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    error: ValidationError | None = best_match(action_result_validator().iter_errors(result))
    if error is None:
        return True
    error.message += HINT
    raise error


def install() -> None:
    """Make every ``RemoteAction`` use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
