"""The visitor side of the gateway: the socket.io events of docs/protocol.md."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import redis.asyncio as redis
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.gateway import payloads
from bot.gateway.client_ip import client_ip_of
from bot.gateway.delivery import ConversationFanout, SocketDelivery
from bot.gateway.events import SYSTEM_SENDER, entry_event
from bot.gateway.forwarder import OFFERED_QUICK_REPLIES, BotForwarder
from bot.gateway.payloads import PayloadError, neutralise_slash_command
from bot.gateway.quick_replies import ChosenQuickReply, chosen_quick_reply, text_for_rasa
from bot.gateway.rate_limit import ConversationRateLimit
from bot.gateway.sessions import Session, SessionStore, VerifiedUser, verify_identity
from bot.gateway.settings import GatewaySettings
from bot.gateway.typing_relay import TypingRelay
from bot.gateway.visitor_limits import RATE_LIMITED, Connection, VisitorDoors
from bot.handoff.desk import HandoffDesk, QueuePlace, handoff_agent
from bot.inbox import (
    QUEUE_CARRY_ON,
    QUEUE_EMAIL,
    QUEUE_WAIT,
    InboxMessage,
    new_message_id,
    queued_for_bot,
)
from bot.ownership import BOT, CLOSED, QUEUED, owner_kind, owner_of, owning_agent
from bot.retention import RetentionPolicy
from bot.transcript import QueuedWork, Transcript, utc_timestamp

logger = logging.getLogger(__name__)

MESSAGE_ID_TTL = 24 * 3600
"""How long a client message id is remembered (resends come within minutes)."""

CLOSED_TEXT = "You ended the chat. Thank you for talking to us."
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ASK_FOR_EMAIL = (
    "Please type your email address, and I'll add it to your request so a colleague can "
    "write to you."
)

# What Rasa's clients (which cannot show our error events) are told instead.
NOTICES = {
    "empty_message": "I didn't receive any text there. What would you like to tell me?",
    "message_too_long": (
        "That message is too long for me to read in one go (the limit is {limit:,} "
        "characters). Could you send it in shorter parts? Nothing you sent before is lost."
    ),
    "slow_down": (
        "You're sending messages faster than I can take them in. Please wait a few "
        "seconds and send your last message again."
    ),
    "no_session": "Please reload the page to start the chat again.",
    "wrong_session": "Please reload the page to start the chat again.",
    "conversation_closed": "This chat has ended. Please reload the page to start a new one.",
    "unavailable": "I'm having a technical problem. Please send that again in a moment.",
    "rate_limited": (
        "There have been too many requests from your connection. Please wait a minute "
        "before trying again."
    ),
}


def queue_state(place: QueuePlace | None) -> dict[str, Any]:
    """``session_state.queue`` / ``queue_update``: place and wait, and while the chat is
    reserved for a named agent, that agent (the header says they will join, not a place)."""
    if place is None:
        return {"position": None, "wait_seconds": None}
    state: dict[str, Any] = {"position": place.position, "wait_seconds": place.wait_seconds}
    if place.reserved_for is not None:
        state["agent"] = handoff_agent(place.reserved_for)
    return state


@dataclass
class VisitorSocket:
    """The conversation a connected socket belongs to."""

    session: Session
    speaks_protocol: bool
    delivery: SocketDelivery
    connection: Connection
    typing: TypingRelay


SessionHandler = Callable[[str, VisitorSocket, Any], Awaitable[None]]
"""An event handler that needs the socket's session: (sid, socket, payload)."""


@dataclass
class GatewayServices:
    """What the handlers use; made when the server starts (nothing at import time)."""

    client: redis.Redis
    sessions: SessionStore
    transcript: Transcript
    fanout: ConversationFanout
    forwarder: BotForwarder
    rate_limit: ConversationRateLimit
    desk: HandoffDesk
    doors: VisitorDoors
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    """How long a rating is kept from when it is given (the sweeper also ends it)."""


class VisitorSocketHandlers:
    """Handles every visitor event; one instance per gateway process."""

    def __init__(self, sio: AsyncServer, settings: GatewaySettings) -> None:
        self.sio = sio
        self.settings = settings
        self.sockets: dict[str, VisitorSocket] = {}
        self.connections: dict[str, Connection] = {}
        """Every visitor socket connected here, with its client IP and budget."""
        self._background: set[asyncio.Task[None]] = set()
        self._turns: dict[str, asyncio.Lock] = {}
        """python-socketio runs each event in its own task; this keeps one socket's events
        in the order they were sent (asyncio locks are FIFO)."""
        self._services: GatewayServices | None = None
        self._queue_told: dict[str, dict[str, Any]] = {}
        """The ``queue_update`` last sent to each queued conversation here."""

    @property
    def services(self) -> GatewayServices:
        if self._services is None:
            raise RuntimeError("the gateway has not started")
        return self._services

    def start(self, services: GatewayServices) -> None:
        self._services = services

    def register(self) -> None:
        self.sio.on("connect", self.on_connect)
        self.sio.on("session_request", self._guarded("session_request", self.on_session_request))
        in_session: dict[str, SessionHandler] = {
            "user_uttered": self.on_user_uttered,
            "typing": self.on_typing,
            "history_request": self.on_history_request,
            "rating": self.on_rating,
            "end_chat": self.on_end_chat,
        }
        for event, handler in in_session.items():
            self.sio.on(event, self._guarded(event, self._in_session(handler)))
        self.sio.on("disconnect", self.on_disconnect)

    def _in_session(self, handler: SessionHandler) -> Callable[[str, Any], Awaitable[None]]:
        """Run ``handler`` with the socket's session; without one, say so."""

        async def with_session(sid: str, data: Any) -> None:
            socket = self.sockets.get(sid)
            if socket is None:
                await self.error(sid, "no_session", "send session_request first")
                return
            await handler(sid, socket, data)

        return with_session

    def _guarded(
        self, event: str, handler: Callable[[str, Any], Awaitable[None]]
    ) -> Callable[..., Awaitable[None]]:
        async def guarded(sid: str, data: Any = None, *_: Any) -> None:
            try:
                async with self._turns.setdefault(sid, asyncio.Lock()):
                    await handler(sid, data)
            except PayloadError as error:
                await self.error(sid, "invalid_payload", f"{event}: {error}")
            except redis.RedisError:
                logger.exception("visitor_socket.store_unavailable event=%s", event)
                await self.error(sid, "unavailable", "the chat store is unreachable")

        return guarded

    async def error(
        self, sid: str, code: str, detail: str, client_message_id: str | None = None
    ) -> None:
        await self.sio.emit(
            "error",
            {"error": code, "detail": detail, "client_message_id": client_message_id},
            to=sid,
        )
        socket = self.sockets.get(sid)
        if (socket is None or not socket.speaks_protocol) and code in NOTICES:
            text = NOTICES[code].format(limit=self.settings.max_message_chars)
            await self.sio.emit("bot_uttered", {"text": text}, to=sid)

    async def on_connect(self, sid: str, environ: dict[str, Any], _auth: Any = None) -> None:
        """Count the connect against its client IP; over the limit the socket is refused
        (``connect_error`` with the ``rate_limited`` error) and closed."""
        client_ip = client_ip_of(environ, self.settings.trusted_proxies)
        try:
            waited = await self.services.doors.connect(client_ip)
        except redis.RedisError:  # the events will answer ``unavailable``
            logger.exception("visitor_socket.connect_unchecked")
            waited = 0
        if waited:
            logger.info("visitor_socket.connect_refused ip=%s", client_ip)
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
            self._in_background(self._close_engine(eio_sid))
            # socket.io clients see ``connect_error`` with ``message`` and ``data``.
            raise SocketRefused(
                RATE_LIMITED,
                {"error": RATE_LIMITED, "event": "connect", "retry_after_ms": waited,
                 "detail": "too many connections from this address"},
            )  # fmt: skip
        self.connections[sid] = self.services.doors.connection(client_ip)

    async def _close_engine(self, eio_sid: str | None) -> None:
        """Close a refused socket's engine.io connection too (it would linger idle),
        once the refusal has gone out."""
        await asyncio.sleep(0.2)
        if eio_sid is not None:
            await self.sio.eio.disconnect(eio_sid)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def refuse(
        self, sid: str, event: str, retry_after_ms: int, detail: str, speaks_protocol: bool
    ) -> None:
        """The answer to a request over its limit (once per wait for ``typing``)."""
        connection = self.connections.get(sid)
        if event == "typing" and connection and not connection.should_tell(event, retry_after_ms):
            return
        logger.info("visitor_socket.rate_limited event=%s sid=%s", event, sid)
        await self.sio.emit(
            "error",
            {"error": RATE_LIMITED, "detail": detail, "client_message_id": None,
             "event": event, "retry_after_ms": retry_after_ms},
            to=sid,
        )  # fmt: skip
        if not speaks_protocol:
            await self.sio.emit("bot_uttered", {"text": NOTICES[RATE_LIMITED]}, to=sid)

    async def _open_session(
        self, sid: str, request: payloads.SessionRequest, user: VerifiedUser | None
    ) -> tuple[Session, bool] | None:
        """The presented session if it may be continued, else a new one, within the
        connection's and the IP's budgets; ``None`` (after telling the client) if over."""
        connection = self.connections.get(sid)
        if connection is None:
            return None  # disconnected meanwhile
        sessions = self.services.sessions
        if request.session_id is not None:
            waited = self.services.doors.resume(connection)
            if waited:
                detail = "too many session requests on this connection"
                await self.refuse(sid, "session_request", waited, detail, request.speaks_protocol)
                return None
            existing = await sessions.resumable(request.session_id, user)
            if existing is not None:
                return existing, True
        waited = await self.services.doors.new_session(connection)
        if waited:
            detail = "too many new conversations from this connection or address"
            await self.refuse(sid, "session_request", waited, detail, request.speaks_protocol)
            return None
        return await sessions.create(user, connection.client_ip), False

    async def on_session_request(self, sid: str, data: Any) -> None:
        request = payloads.session_request(data)
        user = None
        if request.user_id is not None and request.user_hash is not None:
            user = verify_identity(
                request.user_id, request.user_hash, self.settings.identity_secret
            )
            if user is None:
                await self.error(sid, "identity_rejected", "user.hash does not match user.id")
        opened = await self._open_session(sid, request, user)
        if opened is None:
            return
        session, resumed = opened
        self._forget_socket(sid)
        newest = await self.services.transcript.last_seq(session.session_id)
        if not resumed:
            start = newest  # a fresh conversation (nothing to replay)
        elif request.last_seq is None:
            start = newest  # Rasa's clients keep their own history
        else:
            start = min(request.last_seq, newest)
        owner = await owner_of(self.services.client, session.session_id)
        state: dict[str, Any] = {
            "protocol": 1,
            "session_id": session.session_id,
            "resumed": resumed,
            "last_seq": newest,
            "owner": owner_kind(owner),
            "customer": {"verified": user is not None}
            | ({"user_id": user.user_id} if user else {}),
            "limits": {
                "max_message_chars": self.settings.max_message_chars,
                "rate_limit": {
                    "messages": self.settings.rate_limit.messages,
                    "per_seconds": self.settings.rate_limit.per_seconds,
                },
            },
        }
        if owner == QUEUED:
            place = await self.services.desk.queue_place(session.session_id)
            state["queue"] = queue_state(place)
        agent = self.services.desk.roster().get(owning_agent(owner) or "")
        if agent is not None:
            state["agent"] = handoff_agent(agent)
        logger.info(
            "visitor_socket.session sid=%s resumed=%s replay_from=%d newest=%d",
            sid, resumed, start, newest,
        )  # fmt: skip
        delivery = SocketDelivery(
            self.sio, sid, session.session_id, start, self.services.transcript,
            speaks_protocol=request.speaks_protocol,
        )  # fmt: skip
        self.sockets[sid] = VisitorSocket(
            session,
            request.speaks_protocol,
            delivery,
            self.connections[sid],
            self._typing_relay(session.session_id),
        )
        # No await between registering and opening: open() takes the socket's lock at
        # once, so an entry published meanwhile waits and comes after session_state.
        self.services.fanout.add(delivery)
        await delivery.open([("session_confirm", session.session_id), ("session_state", state)])

    async def on_user_uttered(self, sid: str, socket: VisitorSocket, data: Any) -> None:
        message = payloads.visitor_message(data)
        session_id = socket.session.session_id
        ref = message.client_message_id
        if message.session_id is not None and message.session_id != session_id:
            await self.error(sid, "wrong_session", "this socket belongs to another session", ref)
            return
        if not message.text.strip():
            await self.error(sid, "empty_message", "the message has no text", ref)
            return
        if len(message.text) > self.settings.max_message_chars:
            detail = f"the limit is {self.settings.max_message_chars} characters"
            await self.error(sid, "message_too_long", detail, ref)
            return
        owner = await owner_of(self.services.client, session_id)
        if owner == CLOSED:
            await self.error(sid, "conversation_closed", "start a new conversation", ref)
            return
        retry_after_ms = await self.services.rate_limit.take(session_id, socket.connection.subject)
        if retry_after_ms:
            await self._slow_down(sid, socket, message, retry_after_ms)
            return
        if ref is not None and await self._already_recorded(sid, session_id, ref):
            return
        text = message.text.strip()
        chosen = await self._chosen_quick_reply(session_id, owner, text)
        try:
            entry = await self.services.transcript.append(
                session_id,
                "visitor",
                queue=await self._work_for_bot(socket, message.metadata, text, chosen),
                text=chosen.title if chosen else text,
                client_message_id=ref,
                **({"payload": chosen.payload} if chosen else {}),
            )
        except BaseException:
            if ref is not None:  # not recorded: a resend must be accepted
                await self.services.client.delete(redis_keys.visitor_message_key(session_id, ref))
            raise
        if ref is not None:
            await self.services.client.set(
                redis_keys.visitor_message_key(session_id, ref), entry.seq, ex=MESSAGE_ID_TTL
            )
        await self.services.sessions.mark_used(socket.session)
        await self.sio.emit("message_ack", {"seq": entry.seq, "client_message_id": ref}, to=sid)
        self.services.forwarder.kick(session_id)
        if owner == QUEUED:
            await self._while_queued(session_id, text)

    async def _already_recorded(self, sid: str, session_id: str, ref: str) -> bool:
        """Whether this client message id was recorded before (a resend after a
        reconnect whose ack was lost): it is acked with its first seq, not recorded
        again. While the first copy is still being recorded the resend is dropped; the
        first copy's ``visitor_uttered`` reaches every socket of the session."""
        key = redis_keys.visitor_message_key(session_id, ref)
        if await self.services.client.set(key, 0, nx=True, ex=MESSAGE_ID_TTL):
            return False
        seq = int(await self.services.client.get(key) or 0)
        logger.info("visitor_socket.resend chat=%s seq=%d", chat_id(session_id), seq)
        if seq:
            await self.sio.emit("message_ack", {"seq": seq, "client_message_id": ref}, to=sid)
        return True

    async def _work_for_bot(
        self,
        socket: VisitorSocket,
        visitor_metadata: dict[str, Any],
        text: str,
        chosen: ChosenQuickReply | None,
    ) -> QueuedWork:
        """A message for the bot to answer; if people own the conversation when it is
        recorded (decided in the same step), one for the tracker only (with the visitor's
        words: a quick reply's title)."""
        session_id = socket.session.session_id
        message_id = new_message_id(session_id)
        metadata = {
            "customer_key": socket.session.customer_key,
            "client_ip": socket.connection.client_ip,
            "visitor": visitor_metadata,
        }
        ask = InboxMessage(message_id, text_for_rasa(text, chosen), metadata)
        said = chosen.title if chosen else text
        record = InboxMessage(
            message_id, neutralise_slash_command(said), metadata, mode="record_visitor"
        )
        return replace(
            queued_for_bot(session_id, ask),
            unless=(
                redis_keys.owner_key(session_id),
                BOT,
                queued_for_bot(session_id, record).payload,
            ),
        )

    async def _chosen_quick_reply(
        self, session_id: str, owner: str, text: str
    ) -> ChosenQuickReply | None:
        """The quick reply of the bot's latest turn whose payload the visitor sent, if
        any (read from Redis: the turn may have been answered by another gateway). While
        a person owns the chat no bot buttons are showing, so none counts."""
        if owner_kind(owner) == "agent":
            return None
        raw = await self.services.client.hget(
            redis_keys.session_key(session_id), OFFERED_QUICK_REPLIES
        )
        return chosen_quick_reply(json.loads(raw) if raw else [], text)

    async def _while_queued(self, session_id: str, text: str) -> None:
        """What a waiting customer can do: keep waiting, leave an email, or carry on
        with the bot (the quick replies the handoff offered, or just an address)."""
        desk = self.services.desk
        if text == QUEUE_CARRY_ON:
            await desk.carry_on_with_bot(session_id)
        elif text == QUEUE_EMAIL:
            await self.services.transcript.append(
                session_id, "system", text=ASK_FOR_EMAIL, sender=SYSTEM_SENDER
            )
        elif text == QUEUE_WAIT:
            place = await desk.queue_place(session_id)
            if place is not None:
                await self.services.transcript.append(
                    session_id, "system", text=place.line, sender=SYSTEM_SENDER
                )
        elif (found := EMAIL_PATTERN.search(text)) is not None:
            await desk.leave_email(session_id, found.group(0))

    async def refresh_queue_positions(self) -> None:
        """Tell every waiting visitor connected here their new place and wait (or who is
        about to join them), if changed."""
        session_ids = {socket.session.session_id for socket in self.sockets.values()}
        for gone in set(self._queue_told) - session_ids:
            del self._queue_told[gone]
        if not session_ids or self._services is None:
            return
        places = await self.services.desk.queue_places(session_ids)
        for session_id in set(self._queue_told) - set(places):
            del self._queue_told[session_id]  # no longer queued
        for session_id, place in places.items():
            payload = {**queue_state(place), "text": place.line}
            if payload == self._queue_told.get(session_id):
                continue
            self._queue_told[session_id] = payload
            for socket in list(self.sockets.values()):
                if socket.session.session_id == session_id:
                    await socket.delivery.send_live("queue_update", payload)

    async def _slow_down(
        self, sid: str, socket: VisitorSocket, message: payloads.VisitorMessage, retry_ms: int
    ) -> None:
        logger.info("visitor_socket.rate_limited chat=%s", chat_id(socket.session.session_id))
        await self.sio.emit(
            "slow_down",
            {"retry_after_ms": retry_ms, "client_message_id": message.client_message_id,
             "text": message.text},
            to=sid,
        )  # fmt: skip
        if not socket.speaks_protocol:
            await self.sio.emit("bot_uttered", {"text": NOTICES["slow_down"]}, to=sid)

    async def _within_limit(self, sid: str, socket: VisitorSocket, door: str) -> bool:
        session_id = socket.session.session_id
        waited = await self.services.doors.in_conversation(door, session_id, socket.connection)
        if waited:
            detail = f"too many {door} events from this conversation or address"
            await self.refuse(sid, door, waited, detail, socket.speaks_protocol)
        return not waited

    async def on_typing(self, sid: str, socket: VisitorSocket, data: Any) -> None:
        """Within the typing limits, to the agents through the socket's relay (at most
        once per ``GATEWAY_TYPING_INTERVAL_SECONDS``, the latest state wins)."""
        typing = payloads.typing_flag(data)
        if await self._within_limit(sid, socket, "typing"):
            await socket.typing.offer(typing)

    def _typing_relay(self, session_id: str) -> TypingRelay:
        async def publish(typing: bool) -> None:
            await self.services.fanout.publish_live(
                session_id, "visitor_typing", {"typing": typing}, audience="agents"
            )

        return TypingRelay(self.settings.limits.typing_interval_seconds, publish)

    async def on_history_request(self, sid: str, socket: VisitorSocket, data: Any) -> None:
        before, limit = payloads.history_request(data)
        if not await self._within_limit(sid, socket, "history_request"):
            return
        entries, has_more = await self.services.transcript.page_before(
            socket.session.session_id, before, limit
        )
        events = [entry_event(entry) for entry in entries]
        await self.sio.emit(
            "history",
            {"entries": [{"event": e, "data": d} for e, d in events], "has_more": has_more},
            to=sid,
        )

    async def on_rating(self, sid: str, socket: VisitorSocket, data: Any) -> None:
        score, comment = payloads.rating(data)
        if not await self._within_limit(sid, socket, "rating"):
            return
        key = redis_keys.rating_key(socket.session.session_id)
        async with self.services.client.pipeline(transaction=True) as pipe:
            pipe.hset(
                key, mapping={"score": score, "comment": comment, "rated_at": utc_timestamp()}
            )
            pipe.expire(key, self.services.retention.seconds("rating"))
            await pipe.execute()
        await self.sio.emit("rating_saved", {"score": score}, to=sid)

    async def on_end_chat(self, sid: str, socket: VisitorSocket, data: Any) -> None:
        await self.services.desk.visitor_closed(socket.session.session_id, CLOSED_TEXT)

    async def on_disconnect(self, sid: str) -> None:
        async with self._turns.setdefault(sid, asyncio.Lock()):  # after its last event
            self._forget_socket(sid)
        self._turns.pop(sid, None)
        self.connections.pop(sid, None)

    def _forget_socket(self, sid: str) -> None:
        socket = self.sockets.pop(sid, None)
        if socket is not None:
            socket.typing.close()
        if socket is not None and self._services is not None:
            self._services.fanout.remove(socket.session.session_id, sid)
