"""The visitor channel: Rasa's socket.io protocol, guarded against bad input.

Same events as Rasa's stock ``SocketIOInput`` (so third-party clients such as
rasa-webchat work), with these differences:

- Text starting with ``/`` reaches NLU as text. Rasa would otherwise read
  ``/propose_resolution{"amount": 99999}`` as an intent with entities and skip
  NLU; ``/restart`` would wipe the conversation.
- Empty and oversized messages get a clear reply and are not forwarded.
- Payloads of the wrong shape get an ``error`` event instead of a traceback.

The gateway issue replaces this channel with one that issues signed session
ids; until then, like the stock channel, it trusts the session id it is sent.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
"""Longer messages are answered with a notice and not forwarded to the bot."""

SLASH_COMMAND_GUARD = "\u2060"
"""A WORD JOINER put before visitor text starting with '/': invisible, not stripped
by Rasa, and enough to stop Rasa's RegexMessageHandler from reading the text as an
intent."""

NO_REPLY_NOTICE = (
    "I'm sorry, I'm having a technical problem and couldn't answer that. "
    "Your message is saved. Please try again in a moment, or ask for a person."
)
FAILURE_NOTICE = (
    "I'm sorry, I'm having a technical problem and couldn't take that in. "
    "Please send it again in a moment."
)
EMPTY_MESSAGE_NOTICE = "I didn't receive any text there. What would you like to tell me?"
TOO_LONG_NOTICE = (
    "That message is too long for me to read in one go "
    f"(the limit is {MAX_MESSAGE_CHARS:,} characters). "
    "Could you send it in shorter parts? Nothing you sent before is lost."
)


def neutralise_slash_command(text: str) -> str:
    """Make text that starts with '/' reach NLU as text, not as an intent."""
    stripped = text.strip()
    return SLASH_COMMAND_GUARD + stripped if stripped.startswith("/") else stripped


class CountingSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, counting what it sends for one visitor message."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


class VisitorSocketIOInput(InputChannel):
    """Rasa's socket.io protocol for website visitors, with input guards."""

    @classmethod
    def name(cls) -> str:
        return "visitor_socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            session_persistence=bool(credentials.get("session_persistence", True)),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            cors_allowed_origins=credentials.get("cors_allowed_origins", "*"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        session_persistence: bool = True,
        socketio_path: str = "/socket.io",
        cors_allowed_origins: str | list[str] = "*",
    ) -> None:
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.session_persistence = session_persistence
        self.socketio_path = socketio_path
        self.cors_allowed_origins = cors_allowed_origins
        self.sio: AsyncServer | None = None

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:
            return None
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins)
        socketio_webhook = SocketBlueprint(
            sio, self.socketio_path, "visitor_socketio_webhook", __name__
        )
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and requested else uuid.uuid4().hex
            if self.session_persistence:
                sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Any) -> None:
            await self._handle_message(sio, sid, data, on_new_message)

        return socketio_webhook

    async def _handle_message(
        self,
        sio: AsyncServer,
        sid: str,
        data: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        if not isinstance(data, dict):
            await sio.emit(
                "error",
                {"error": "invalid_payload", "detail": "expected an object"},
                room=sid,
            )
            return
        text = data.get("message", "")
        if not isinstance(text, str):
            await sio.emit(
                "error",
                {"error": "invalid_payload", "detail": "'message' must be text"},
                room=sid,
            )
            return
        if self.session_persistence:
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id:
                await sio.emit(
                    "error",
                    {
                        "error": "no_session",
                        "detail": "send session_request first, then the session_id",
                    },
                    room=sid,
                )
                return
            sender_id = session_id
        else:
            sender_id = sid

        output = CountingSocketIOOutput(sio, self.bot_message_evt)
        if not text.strip():
            await output.send_text_message(sender_id, EMPTY_MESSAGE_NOTICE)
            return
        if len(text) > MAX_MESSAGE_CHARS:
            logger.info("visitor_message.too_long sender=%s chars=%d", sender_id, len(text))
            await output.send_text_message(sender_id, TOO_LONG_NOTICE)
            return

        metadata = data.get("metadata") or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except json.JSONDecodeError:
                metadata = {}
        if not isinstance(metadata, dict):
            metadata = {}

        message = UserMessage(
            neutralise_slash_command(text),
            output,
            sender_id,
            input_channel=self.name(),
            metadata=metadata,
        )
        try:
            await on_new_message(message)
        except Exception:  # the visitor must hear something whatever broke
            logger.exception("visitor_message.failed sender=%s", sender_id)
            await output.send_text_message(sender_id, FAILURE_NOTICE)
            return
        if output.sent == 0:
            # Rasa logged why (typically the action server is unreachable); the
            # message itself is in the tracker.
            logger.warning("visitor_message.no_reply sender=%s", sender_id)
            await output.send_text_message(sender_id, NO_REPLY_NOTICE)
