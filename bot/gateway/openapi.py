"""The OpenAPI 3.0.3 description of the agents' API (bot/gateway/agent_api.py), served
at ``GET /api/openapi.json``.

Written by hand, endpoint by endpoint; tests/unit/test_agent_openapi.py checks that it
names exactly the routes the blueprint registers and that every reference resolves.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.chat_ids import CHAT_ID_PATTERN
from bot.gateway.agent_auth import COOKIE_NAME, CSRF_HEADER
from bot.gateway.agent_requests import HAND_BACK_POINTS, MAX_BODY_BYTES, MAX_TEXT_CHARS, URL_PREFIX
from bot.handoff.queue import QueueEntry

OPENAPI_PATH = "/api/openapi.json"

CONFLICTS = (
    "not_queued",
    "reserved",
    "at_capacity",
    "not_owner",
    "same_agent",
    "already_closed",
    "agent_unavailable",
)
"""The ``error`` of a 409: the ownership transitions' refusals (bot/ownership.py)."""

Schema = dict[str, Any]

CHAT_ID_SCHEMA: Schema = {
    "type": "string",
    "pattern": CHAT_ID_PATTERN.pattern,
    "description": "the conversation's opaque chat id (bot/chat_ids.py), never its session id",
}


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: Schema, **extra: Any) -> Schema:
    return {"description": description, "content": _json(schema), **extra}


def _body(schema_name: str) -> Schema:
    return {"required": True, "content": _json(_ref(schema_name))}


READ = [{"agentSession": []}]
WRITE = [{"agentSession": [], "csrfToken": []}]
CHAT = [_ref("ChatId", "parameters")]
CUSTOMER = [_ref("Customer", "parameters")]


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    security: list[Schema] = READ,
    body: str | None = None,
    parameters: list[Schema] | None = None,
) -> Schema:
    """One operation with its success ``responses`` and the errors its kind can give."""
    errors = ["401", "413", "503"]  # 413: any body over the limit, before anything else
    if security is WRITE or parameters:
        errors.append("403")  # CSRF; or not the caller's chat
    if body is not None or any("After" in str(p) for p in parameters or []):
        errors.append("400")
    if parameters:
        errors.append("404")
    operation: Schema = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["agents"],
        "security": security,
        "responses": {
            **responses,
            **{code: _ref(ERROR_RESPONSES[code], "responses") for code in errors},
        },
    }
    if body is not None:
        operation["requestBody"] = _body(body)
    if parameters:
        operation["parameters"] = parameters
    return operation


ERROR_RESPONSES = {
    "400": "InvalidPayload",
    "401": "Unauthorised",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "413": "PayloadTooLarge",
    "429": "Throttled",
    "503": "Unavailable",
}


def _paths() -> dict[str, Schema]:
    conflict = {"409": _ref("Conflict", "responses")}
    optional_body = {"400": _ref("InvalidPayload", "responses")}  # a body, if sent, is {…}
    chat = f"{URL_PREFIX}/chats/{{chat_id}}"
    customer = f"{URL_PREFIX}/customers/{{customer}}"
    moved = _ok("The chat's new owner", _ref("ChatOwner"))
    return {
        f"{URL_PREFIX}/login": {
            "post": {
                "operationId": "login",
                "summary": "Log in: sets the session cookie and returns the CSRF token",
                "tags": ["agents"],
                "security": [],
                "requestBody": _body("LoginRequest"),
                "responses": {
                    "200": _ok(
                        "Logged in",
                        _ref("LoginResponse"),
                        headers={
                            "Set-Cookie": {
                                "description": f"{COOKIE_NAME}=…; HttpOnly; SameSite=Strict; "
                                "Path=/ (and Secure over https)",
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    "400": _ref("InvalidPayload", "responses"),
                    "401": _ref("InvalidCredentials", "responses"),
                    "403": _ref("DemoPassword", "responses"),
                    "413": _ref("PayloadTooLarge", "responses"),
                    "429": _ref("Throttled", "responses"),
                    "503": _ref("Unavailable", "responses"),
                },
            }
        },
        f"{URL_PREFIX}/logout": {
            "post": _operation(
                "logout",
                "Log out: ends the session, sets the agent offline, clears the cookie",
                {"200": _ok("Logged out", _ref("Ok"))},
                security=WRITE,
            )
        },
        f"{URL_PREFIX}/logout-everywhere": {
            "post": _operation(
                "logoutEverywhere",
                "Log out everywhere: ends every console session of the agent on every "
                "device (this one too) and disconnects their console sockets",
                {"200": _ok("Every session ended", _ref("Ok"))},
                security=WRITE,
            )
        },
        f"{URL_PREFIX}/me": {
            "get": _operation(
                "me",
                "The logged-in agent, their status and the session's CSRF token",
                {"200": _ok("The agent", _ref("Me"))},
            )
        },
        f"{URL_PREFIX}/presence": {
            "put": _operation(
                "setPresence",
                "Choose online or away",
                {"200": _ok("The status now", _ref("PresenceRequest"))},
                security=WRITE,
                body="PresenceRequest",
            )
        },
        f"{URL_PREFIX}/agents": {
            "get": _operation(
                "listAgents",
                "Every active agent with their status and load (the transfer picker)",
                {"200": _ok("Agents", {"type": "array", "items": _ref("AgentWithStatus")})},
            )
        },
        f"{URL_PREFIX}/queue": {
            "get": _operation(
                "listQueue",
                "The conversations waiting for a person, front first",
                {"200": _ok("The queue", {"type": "array", "items": _ref("QueueEntry")})},
            )
        },
        f"{URL_PREFIX}/chats": {
            "get": _operation(
                "listChats",
                "The caller's chats",
                {"200": _ok("Chats", {"type": "array", "items": _ref("Chat")})},
            )
        },
        f"{URL_PREFIX}/canned-replies": {
            "get": _operation(
                "listCannedReplies",
                "The company's canned replies (canned_replies.yml), {agent} filled in",
                {"200": _ok("Replies", {"type": "array", "items": _ref("CannedReply")})},
            )
        },
        f"{chat}/read": {
            "post": _operation(
                "markRead",
                "Remember the newest entry the caller has read (the chats' unread counts)",
                {"200": _ok("Marked", _ref("ReadMarker"))},
                security=WRITE,
                body="ReadRequest",
                parameters=CHAT,
            )
        },
        f"{chat}/claim": {
            "post": _operation(
                "claimChat",
                "Take a queued chat (409 not_queued if someone was first, reserved while "
                "the customer was told another agent will join, at_capacity if full)",
                {"200": moved, **conflict, **optional_body},
                security=WRITE,
                parameters=CHAT,
            )
        },
        f"{chat}/packet": {
            "get": _operation(
                "getPacket",
                "The handoff packet (owning agent only)",
                {"200": _ok("The packet", _ref("Packet"))},
                parameters=CHAT,
            )
        },
        f"{chat}/transcript": {
            "get": _operation(
                "getTranscript",
                "Transcript entries after a sequence number (owning agent only)",
                {"200": _ok("Entries", _ref("TranscriptPage"))},
                parameters=[*CHAT, _ref("After", "parameters")],
            )
        },
        f"{chat}/notes": {
            "get": _operation(
                "listNotes",
                "The chat's private notes, oldest first (owning agent only)",
                {"200": _ok("Notes", {"type": "array", "items": _ref("Note")})},
                parameters=CHAT,
            ),
            "post": _operation(
                "addNote",
                "Add a private note: never shown to the customer (owning agent only)",
                {"201": _ok("The note", _ref("Note"))},
                security=WRITE,
                body="TextRequest",
                parameters=CHAT,
            ),
        },
        f"{chat}/earlier": {
            "get": _operation(
                "listEarlierConversations",
                "The customer's other conversations, newest first (owning agent only)",
                {"200": _ok("Conversations", {"type": "array", "items": _ref("Earlier")})},
                parameters=CHAT,
            )
        },
        f"{chat}/earlier/{{other_id}}/transcript": {
            "get": _operation(
                "getEarlierTranscript",
                "The transcript of one of the customer's other conversations (403 otherwise)",
                {"200": _ok("Entries", _ref("TranscriptPage"))},
                parameters=[*CHAT, _ref("OtherId", "parameters"), _ref("After", "parameters")],
            )
        },
        f"{chat}/messages": {
            "post": _operation(
                "sendMessage",
                "Write to the customer (403 not_owner unless the caller owns the chat)",
                {"201": _ok("Recorded", _ref("MessageCreated"))},
                security=WRITE,
                body="TextRequest",
                parameters=CHAT,
            )
        },
        f"{chat}/typing": {
            "post": _operation(
                "setTyping",
                "Show or hide the agent's typing indicator to the customer",
                {"200": _ok("Passed on", _ref("TypingResponse"))},
                security=WRITE,
                body="TypingRequest",
                parameters=CHAT,
            )
        },
        f"{chat}/transfer": {
            "post": _operation(
                "transferChat",
                "Give the chat to another online agent (409 agent_unavailable, not_owner…)",
                {"200": moved, **conflict},
                security=WRITE,
                body="TransferRequest",
                parameters=CHAT,
            )
        },
        f"{chat}/hand-back": {
            "post": _operation(
                "handBackChat",
                "Give the chat back to the assistant, which resumes at resume_point",
                {"200": moved, **conflict},
                security=WRITE,
                body="HandBackRequest",
                parameters=CHAT,
            )
        },
        f"{chat}/close": {
            "post": _operation(
                "closeChat",
                "End the conversation",
                {"200": moved, **conflict, **optional_body},
                security=WRITE,
                parameters=CHAT,
            )
        },
        f"{customer}/export": {
            "get": _operation(
                "exportCustomerData",
                "Supervisors only (403 forbidden otherwise): everything stored about the "
                "customer, as `python -m bot.privacy export` prints it",
                {"200": _ok("The customer's data", _ref("CustomerExport"))},
                parameters=CUSTOMER,
            )
        },
        f"{customer}/erase": {
            "post": _operation(
                "eraseCustomerData",
                "Supervisors only (403 forbidden otherwise): delete everything stored about "
                "the customer, as `python -m bot.privacy erase` does; says what it deleted",
                {"200": _ok("What was deleted", _ref("ErasureReport"))},
                security=WRITE,
                parameters=CUSTOMER,
            )
        },
    }


def _error_response(description: str, codes: list[str]) -> Schema:
    schema = {"allOf": [_ref("Error"), {"properties": {"error": {"enum": codes}}}]}
    return {"description": description, "content": _json(schema)}


def _schemas() -> dict[str, Schema]:
    text = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}
    optional_text = {"type": "string", "maxLength": MAX_TEXT_CHARS, "nullable": True}
    time = {"type": "string", "format": "date-time"}
    nullable_text = {"type": "string", "nullable": True}

    def obj(required: list[str], properties: dict[str, Schema], **extra: Any) -> Schema:
        return {"type": "object", "required": required, "properties": properties, **extra}

    return {
        "Error": obj(
            ["error", "detail"],
            {
                "error": {"type": "string"},
                "detail": {"type": "string"},
                "retry_after_seconds": {"type": "integer", "minimum": 1},
            },
        ),
        "Ok": obj(["ok"], {"ok": {"type": "boolean"}}),
        "Status": {"type": "string", "enum": ["online", "away", "offline"]},
        "Agent": obj(
            ["id", "name", "first_name", "team", "avatar_url", "skills", "max_chats"],
            {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "first_name": {"type": "string"},
                "team": {"type": "string"},
                "avatar_url": {"type": "string"},
                "skills": {"type": "array", "items": {"type": "string"}},
                "max_chats": {"type": "integer", "minimum": 1},
            },
        ),
        "AgentWithStatus": {
            "allOf": [
                _ref("Agent"),
                obj(
                    ["status", "load"],
                    {"status": _ref("Status"), "load": {"type": "integer", "minimum": 0}},
                ),
            ]
        },
        "LoginRequest": obj(
            ["agent_id", "password"],
            {
                "agent_id": {"type": "string", "minLength": 1, "maxLength": 200},
                "password": {"type": "string", "minLength": 1, "maxLength": 1024},
            },
        ),
        "LoginResponse": obj(
            ["agent", "csrf_token"],
            {"agent": _ref("Agent"), "csrf_token": {"type": "string"}},
        ),
        "Me": obj(
            ["agent", "status", "csrf_token"],
            {"agent": _ref("Agent"), "status": _ref("Status"), "csrf_token": {"type": "string"}},
        ),
        "PresenceRequest": obj(
            ["status"], {"status": {"type": "string", "enum": ["online", "away"]}}
        ),
        "QueueEntry": obj(
            [
                "chat_id",
                *(field.name for field in fields(QueueEntry) if field.name != "session_id"),
            ],
            {
                "chat_id": CHAT_ID_SCHEMA,
                "position": {"type": "integer", "minimum": 1},
                "queued_at": {"type": "string"},
                "waiting_seconds": {"type": "integer", "minimum": 0},
                "summary": {"type": "string"},
                "category": nullable_text,
                "customer_key": {"type": "string"},
                "trigger": {"type": "string"},
                "routed_to": nullable_text,
                "email": nullable_text,
                "requeued_from": nullable_text,
                "reserved_until": {
                    **nullable_text,
                    "description": "while only routed_to may claim the chat",
                },
                "flood_held_back": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "requests from this entry's source (client IP or "
                    "customer) held back over its cap: a flood (0: none)",
                },
            },
        ),
        "Chat": obj(
            [
                "chat_id",
                "customer_key",
                "summary",
                "category",
                "last_entry",
                "read_seq",
                "unread",
            ],
            {
                "chat_id": CHAT_ID_SCHEMA,
                "customer_key": {"type": "string"},
                "summary": {"type": "string"},
                "category": nullable_text,
                "last_entry": obj(
                    ["seq", "kind", "text", "at"],
                    {
                        "seq": {"type": "integer"},
                        "kind": _ref("EntryKind"),
                        "text": nullable_text,
                        "at": time,
                    },
                    nullable=True,
                ),
                "read_seq": {"type": "integer", "minimum": 0},
                "unread": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "the customer's messages after read_seq",
                },
            },
        ),
        "CannedReply": obj(
            ["title", "text"], {"title": {"type": "string"}, "text": {"type": "string"}}
        ),
        "ReadRequest": obj(["seq"], {"seq": {"type": "integer", "minimum": 0}}),
        "ReadMarker": obj(
            ["chat_id", "read_seq"],
            {"chat_id": CHAT_ID_SCHEMA, "read_seq": {"type": "integer"}},
        ),
        "ChatOwner": obj(
            ["chat_id", "owner"],
            {
                "chat_id": CHAT_ID_SCHEMA,
                "owner": {"type": "string", "description": "agent:<id>, bot or closed"},
            },
        ),
        "Packet": {
            "type": "object",
            "description": "The handoff packet as the bot stored it (bot/handoff/packet.py)",
            "additionalProperties": True,
        },
        "EntryKind": {"type": "string", "enum": ["visitor", "bot", "agent", "system"]},
        "TranscriptEntry": obj(
            ["seq", "kind", "at"],
            {
                "seq": {"type": "integer", "minimum": 1},
                "kind": _ref("EntryKind"),
                "at": time,
                "text": {"type": "string"},
                "sender": {"type": "object", "additionalProperties": True},
                "handoff": {"type": "object", "additionalProperties": True},
                "client_message_id": nullable_text,
            },
            additionalProperties=True,
        ),
        "TranscriptPage": obj(
            ["entries", "last_seq", "has_more"],
            {
                "entries": {"type": "array", "items": _ref("TranscriptEntry")},
                "last_seq": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "the last entry sent (or `after`): ask again with it",
                },
                "has_more": {"type": "boolean"},
            },
        ),
        "Note": obj(
            ["id", "agent_id", "text", "at"],
            {"id": {"type": "string"}, "agent_id": {"type": "string"}, "text": text, "at": time},
        ),
        "TextRequest": obj(["text"], {"text": text}),
        "Earlier": obj(
            ["chat_id", "started_at", "outcome", "summary"],
            {
                "chat_id": CHAT_ID_SCHEMA,
                "started_at": time,
                "outcome": {
                    "type": "string",
                    "description": "how it ended or stands, e.g. 'handled by agent tom, closed'",
                },
                "summary": nullable_text,
            },
        ),
        "MessageCreated": obj(
            ["seq", "at"], {"seq": {"type": "integer", "minimum": 1}, "at": time}
        ),
        "TypingRequest": obj(["typing"], {"typing": {"type": "boolean"}}),
        "TypingResponse": obj(
            ["chat_id", "typing"],
            {"chat_id": CHAT_ID_SCHEMA, "typing": {"type": "boolean"}},
        ),
        "TransferRequest": obj(
            ["to_agent_id"],
            {"to_agent_id": {"type": "string", "minLength": 1}, "note": optional_text},
        ),
        "CustomerExport": obj(
            [
                "customer",
                "exported_at",
                "conversations",
                "resolutions",
                "cancellations",
                "handoff_requests",
                "last_agent",
            ],
            {
                "customer": {"type": "string"},
                "exported_at": time,
                "conversations": {
                    "type": "array",
                    "description": "per conversation: session_id, session, transcript, "
                    "handoff, notes, rating, tracker (Rasa's events)",
                    "items": {"type": "object", "additionalProperties": True},
                },
                "resolutions": {"type": "array", "items": {"type": "object"}},
                "cancellations": {"type": "array", "items": {"type": "object"}},
                "handoff_requests": {"type": "array", "items": {"type": "object"}},
                "last_agent": nullable_text,
            },
        ),
        "ErasureReport": obj(
            ["customer", "conversations", "deleted_keys", "removed_members"],
            {
                "customer": {"type": "string"},
                "conversations": {"type": "array", "items": {"type": "string"}},
                "deleted_keys": {"type": "array", "items": {"type": "string"}},
                "removed_members": {
                    "type": "object",
                    "description": "shared key → members, fields or stream entries removed",
                    "additionalProperties": {"type": "integer"},
                },
            },
        ),
        "HandBackRequest": obj(
            ["resume_point"],
            {
                "resume_point": {"type": "string", "enum": list(HAND_BACK_POINTS)},
                "note": optional_text,
            },
        ),
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (a new dict each time)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Agent API",
            "version": "1",
            "description": (
                "The agents' console API of the gateway. Every call but login needs the "
                f"{COOKIE_NAME} cookie; state-changing calls also need the {CSRF_HEADER} "
                "header (from the login answer or GET /me). Bodies are JSON, at most "
                f"{MAX_BODY_BYTES} bytes. Every authenticated call counts as a sign of life. "
                "Conversations are named by chat id, never by the visitor's session id."
            ),
        },
        "tags": [{"name": "agents", "description": "The agents' console"}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "agentSession": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME},
                "csrfToken": {"type": "apiKey", "in": "header", "name": CSRF_HEADER},
            },
            "parameters": {
                "ChatId": {
                    "name": "chat_id",
                    "in": "path",
                    "required": True,
                    "schema": CHAT_ID_SCHEMA,
                },
                "OtherId": {
                    "name": "other_id",
                    "in": "path",
                    "required": True,
                    "description": "the chat id of one of the customer's other conversations",
                    "schema": CHAT_ID_SCHEMA,
                },
                "Customer": {
                    "name": "customer",
                    "in": "path",
                    "required": True,
                    "description": "a customer key (user:<id>, visitor:<chat id>) or a "
                    "verified user id",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                },
                "After": {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0, "default": 0},
                },
            },
            "schemas": _schemas(),
            "responses": {
                "InvalidPayload": _error_response("Malformed JSON or field", ["invalid_payload"]),
                "Unauthorised": _error_response("No session, or it ended", ["unauthorised"]),
                "InvalidCredentials": _error_response(
                    "Wrong agent id or password", ["invalid_credentials"]
                ),
                "Forbidden": _error_response(
                    "CSRF header missing or wrong, not the caller's chat, or a supervisor's "
                    "endpoint called by an agent",
                    ["csrf", "forbidden", "not_owner"],
                ),
                "NotFound": _error_response("No such conversation", ["not_found"]),
                "Conflict": _error_response(
                    "The chat's owner does not allow this move now",
                    list(CONFLICTS),
                ),
                "PayloadTooLarge": _error_response(
                    f"Body over {MAX_BODY_BYTES} bytes", ["payload_too_large"]
                ),
                "DemoPassword": _error_response(
                    "A published demo password, refused outside demo mode", ["demo_password"]
                ),
                "Throttled": {
                    **_error_response(
                        "Too many failed logins from this source (or for this id from "
                        "browsers it never logged in from): wait",
                        ["throttled"],
                    ),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait before the next attempt",
                            "schema": {"type": "integer"},
                        }
                    },
                },
                "Unavailable": _error_response("Redis is unreachable", ["unavailable"]),
            },
        },
    }


def create_openapi_blueprint() -> Blueprint:
    """``GET /api/openapi.json``."""
    blueprint = Blueprint("agent_openapi")

    async def openapi_json(_request: Request) -> HTTPResponse:
        return json_response(openapi_document())

    blueprint.add_route(openapi_json, OPENAPI_PATH, methods=["GET"])
    return blueprint
