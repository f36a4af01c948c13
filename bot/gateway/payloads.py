"""Reading what clients send: every wrong type or missing field becomes a PayloadError
naming the field (the client gets an ``error`` event; nothing crashes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_CHARS = 4000
"""Longer visitor messages are refused (``error: message_too_long``), not forwarded."""

SLASH_COMMAND_GUARD = "\u2060"
"""A WORD JOINER put before visitor text starting with '/': invisible, not stripped
by Rasa, and enough to stop Rasa's RegexMessageHandler from reading the text as an
intent (``/restart``, ``/propose_resolution{"amount": 99999}``)."""

MAX_SEQ = 2**53
"""A larger ``before_seq`` means the same (no conversation gets near it); Redis stream ids
cannot hold arbitrarily large numbers (10**40 was a "store unavailable" error)."""
MAX_VISITOR_METADATA_CHARS = 2000
MAX_CLIENT_MESSAGE_ID_CHARS = 64


class PayloadError(ValueError):
    """The payload does not match docs/protocol.md; the message says how."""


@dataclass(frozen=True)
class SessionRequest:
    session_id: str | None
    last_seq: int | None
    speaks_protocol: bool
    user_id: str | None
    user_hash: str | None


@dataclass(frozen=True)
class VisitorMessage:
    text: str
    session_id: str | None
    client_message_id: str | None
    metadata: dict[str, Any]


def neutralise_slash_command(text: str) -> str:
    """Make text that starts with '/' reach NLU as text, not as an intent."""
    stripped = text.strip()
    return SLASH_COMMAND_GUARD + stripped if stripped.startswith("/") else stripped


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (half an emoji, valid in JSON) as U+FFFD, so it can be
    stored and passed on as UTF-8."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _text(data: dict[str, Any], name: str, max_chars: int) -> str | None:
    value = _optional(data, name, str)
    if value is None:
        return None
    if len(value) > max_chars:
        raise PayloadError(f"'{name}' must be at most {max_chars} characters")
    return valid_unicode(value)


def _object(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PayloadError("expected a JSON object")
    return data


def _optional(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise PayloadError(f"'{name}' must be {kind.__name__}")
    return value


def _whole_number(data: dict[str, Any], name: str, low: int, high: int | None = None) -> int | None:
    value = _optional(data, name, int)
    if value is not None and (value < low or (high is not None and value > high)):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PayloadError(f"'{name}' must be {bounds}")
    return value


def session_request(data: Any) -> SessionRequest:
    data = _object(data)
    user = _optional(data, "user", dict)
    user_id = user_hash = None
    if user is not None:
        user_id = _text(user, "id", 200)
        user_hash = _text(user, "hash", 64)
        if not user_id or not user_hash:
            raise PayloadError("'user' needs 'id' and 'hash'")
    protocol = _whole_number(data, "protocol", 1)
    return SessionRequest(
        session_id=_text(data, "session_id", 200),
        last_seq=_whole_number(data, "last_seq", 0),
        speaks_protocol=protocol is not None,
        user_id=user_id,
        user_hash=user_hash,
    )


def visitor_message(data: Any) -> VisitorMessage:
    data = _object(data)
    if "message" not in data:
        raise PayloadError("'message' is missing")
    text = data["message"]
    if not isinstance(text, str):
        raise PayloadError("'message' must be text")
    client_message_id = _optional(data, "client_message_id", str)
    if client_message_id is not None and not 0 < len(client_message_id) <= 64:
        raise PayloadError(f"'client_message_id' must be 1 to {MAX_CLIENT_MESSAGE_ID_CHARS} chars")
    return VisitorMessage(
        text=valid_unicode(text),
        session_id=_text(data, "session_id", 200),
        client_message_id=valid_unicode(client_message_id) if client_message_id else None,
        metadata=_visitor_metadata(data.get("metadata") or data.get("customData")),
    )


def _visitor_metadata(value: Any) -> dict[str, Any]:
    """What the client attached (Rasa's clients: ``customData``), if small and an object."""
    if isinstance(value, str):
        if len(value) > MAX_VISITOR_METADATA_CHARS:
            return {}
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):  # "[[[[…": too deep to parse
            return {}
    if not isinstance(value, dict):
        return {}
    try:  # binary attachments, NaN or deep nesting: not JSON we can pass on
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return {}
    return value if size <= MAX_VISITOR_METADATA_CHARS else {}


def typing_flag(data: Any) -> bool:
    value = _optional(_object(data), "typing", bool)
    if value is None:
        raise PayloadError("'typing' must be true or false")
    return bool(value)


def history_request(data: Any) -> tuple[int | None, int]:
    data = _object(data)
    before = _whole_number(data, "before_seq", 1)
    limit = _whole_number(data, "limit", 1, 200)
    return (min(before, MAX_SEQ) if before is not None else None), limit or 50


def rating(data: Any) -> tuple[int, str]:
    data = _object(data)
    score = _whole_number(data, "score", 1, 5)
    if score is None:
        raise PayloadError("'score' must be a whole number from 1 to 5")
    return score, _text(data, "comment", 2000) or ""
