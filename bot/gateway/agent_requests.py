"""Reading the agent API's requests and shaping its answers: limits, typed errors,
field checks, and how entries and times are written. No rasa import."""

from __future__ import annotations

import json
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.inbox import RESUME_POINTS
from bot.transcript import TranscriptEntry

URL_PREFIX = "/api/agent"
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000
"""Messages and notes: the visitor's limit (docs/protocol.md)."""
MAX_ENTRIES_PER_PAGE = 500
MAX_EARLIER_CONVERSATIONS = 50
MAX_NOTES = 1000
HAND_BACK_POINTS = tuple(point for point in RESUME_POINTS if point != "carry_on")
SETTABLE_STATUSES = ("online", "away")


class ApiError(Exception):
    """Answered as ``{"error": error, "detail": detail, **extra}`` with ``status``."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.extra = extra or {}
        self.headers = headers or {}

    def response(self) -> HTTPResponse:
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return json_response(body, status=self.status, headers=self.headers)


def invalid(detail: str) -> ApiError:
    return ApiError(400, "invalid_payload", detail)


def forbidden(detail: str = "only the agent who owns the chat may do this") -> ApiError:
    return ApiError(403, "forbidden", detail)


def not_found(detail: str = "no such conversation") -> ApiError:
    return ApiError(404, "not_found", detail)


# Reading requests.


def json_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body when not ``required``)."""
    raw = request.body or b""
    if not raw.strip() and not required:
        return {}
    if not request.content_type.lower().startswith("application/json"):
        raise invalid("body: send JSON with Content-Type: application/json")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # [[[[…: too deep to parse
        raise invalid("body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    return body


def text_field(
    body: dict[str, Any], name: str, *, required: bool = True, limit: int = MAX_TEXT_CHARS
) -> str | None:
    """A non-blank string of at most ``limit`` characters (``None`` if optional and
    missing, null or blank)."""
    value = body.get(name)
    if value is None or (not required and isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if not value.strip():
        raise invalid(f"{name} must not be empty")
    if len(value) > limit:
        raise invalid(f"{name} must be at most {limit} characters")
    return value


def choice_field(body: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or value not in choices:
        raise invalid(f"{name} must be one of: {', '.join(choices)}")
    return value


def seq_param(request: Request, name: str) -> int:
    raw = request.args.get(name)
    if raw is None:
        return 0
    if not raw.isdigit() or len(raw) > 18:
        raise invalid(f"{name} must be a whole number of at least 0")
    return int(raw)


def entry_json(entry: TranscriptEntry) -> dict[str, Any]:
    """A transcript entry as the console reads it: its body's fields plus seq/kind/at."""
    return {**entry.body, "seq": entry.seq, "kind": entry.kind, "at": entry.at}
