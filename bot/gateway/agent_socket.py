"""The agents' socket.io namespace (``/agents``): queue and chat events in real time.

A console connects with its session cookie (the same HttpOnly cookie the agent
API set at login); anything else is refused. While connected, the agent counts
as present (a heartbeat every few seconds), receives the queue whenever it
changes, every transcript entry and visitor typing of the chats they own, and
``chat_assigned`` / ``chat_released`` as chats move. Every event names its conversation
by ``chat_id``, never by the visitor's session id (bot/chat_ids.py): the process follows
session ids internally and translates as it emits.

A socket lives no longer than its session and its account: logging out, "log out
everywhere", the session expiring, the agent being disabled or removed, or their
password changing all disconnect it. Logging out and "log out everywhere" do so at
once (a pub/sub event); the rest are found by re-checking every socket's session and
roster entry every ``SESSION_CHECK_SECONDS``. The re-check refreshes only sessions that
pass it, so an open console cannot keep a revoked session alive.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from socketio import AsyncServer

from bot import redis_keys
from bot.chat_ids import ChatIds, chat_id
from bot.gateway.agent_auth import (
    AgentSessions,
    agent_from_cookie_header,
)
from bot.gateway.events import entry_event
from bot.handoff.desk import HandoffDesk
from bot.transcript import TranscriptEntry

logger = logging.getLogger(__name__)

NAMESPACE = "/agents"
HEARTBEAT_SECONDS = 5.0
"""At most; a third of the heartbeat timeout when that is shorter."""
SESSION_CHECK_SECONDS = 2.0
"""How often every socket's session and roster entry are checked again (at most)."""
REQUEUE_SWEEP_SECONDS = 5.0
"""At most; half the grace period when that is shorter."""


@dataclass
class ConnectedAgent:
    agent_id: str
    session_digest: str
    """Which console session the socket belongs to (to notice it ending)."""


@dataclass
class AgentSocketServices:
    desk: HandoffDesk
    sessions: AgentSessions


@dataclass
class _Following:
    """What the agents connected to this process follow."""

    chats: dict[str, set[str]] = field(default_factory=dict)
    """agent id → the conversations they own."""

    def owner_here(self, session_id: str) -> str | None:
        for agent_id, chats in self.chats.items():
            if session_id in chats:
                return agent_id
        return None


class AgentSocketHandlers:
    """One per gateway process."""

    def __init__(self, sio: AsyncServer) -> None:
        self.sio = sio
        self.sockets: dict[str, ConnectedAgent] = {}
        self.following = _Following()
        self._services: AgentSocketServices | None = None

    @property
    def chat_ids(self) -> ChatIds:
        return ChatIds(self.services.desk.client)

    @property
    def services(self) -> AgentSocketServices:
        if self._services is None:
            raise RuntimeError("the gateway has not started")
        return self._services

    def start(self, services: AgentSocketServices) -> None:
        self._services = services

    def register(self) -> None:
        self.sio.on("connect", self.on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self.on_disconnect, namespace=NAMESPACE)
        self.sio.on("sync", self.on_sync, namespace=NAMESPACE)
        self.sio.on("presence", self.on_presence, namespace=NAMESPACE)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        cookie = environ.get("HTTP_COOKIE")
        if self._services is None:
            return False
        session = await agent_from_cookie_header(cookie, self.services.sessions)
        profile = self.services.desk.roster().get(session.agent_id) if session else None
        if (
            session is None
            or profile is None
            or profile.disabled
            or not session.matches(profile.password_hash)
        ):
            logger.info("agent_socket.refused sid=%s", sid)
            return False
        self.sockets[sid] = ConnectedAgent(session.agent_id, session.digest)
        await self.services.desk.presence.heartbeat(session.agent_id)
        chats = await self.services.desk.presence.chats_of(session.agent_id)
        self.following.chats[session.agent_id] = set(chats)
        logger.info("agent_socket.connected sid=%s agent=%s", sid, session.agent_id)
        return True

    async def on_disconnect(self, sid: str) -> None:
        agent = self.sockets.pop(sid, None)
        if agent and not any(a.agent_id == agent.agent_id for a in self.sockets.values()):
            self.following.chats.pop(agent.agent_id, None)

    async def on_sync(self, sid: str, _data: Any = None, *_extra: Any) -> dict[str, Any]:
        """The console's starting point (answered as the event's acknowledgement). Extra
        arguments a client sends are ignored (they used to raise before the answer)."""
        agent = self.sockets.get(sid)
        if agent is None:
            return {"error": "unauthorised"}
        desk = self.services.desk
        profile = desk.roster().get(agent.agent_id)
        owned = await self.chat_ids.remember(self.following.chats.get(agent.agent_id, set()))
        queue = await desk.queue.entries()
        await self.chat_ids.remember(entry.session_id for entry in queue)  # claimable by chat id
        return {
            "agent": profile.public() if profile else {"id": agent.agent_id},
            "status": await desk.presence.status(agent.agent_id),
            "queue": [entry.to_json() for entry in queue],
            "chats": sorted(owned.values()),
        }

    async def on_presence(self, sid: str, data: Any = None, *_extra: Any) -> dict[str, Any]:
        agent = self.sockets.get(sid)
        status = data.get("status") if isinstance(data, dict) else None
        if agent is None or status not in ("online", "away"):
            return {"error": "invalid_payload", "detail": "status must be online or away"}
        await self.services.desk.set_presence(agent.agent_id, status)
        return {"status": status}

    # Fed by the fan-out with every message of both pub/sub channels.

    async def observe(self, channel: str, message: dict[str, Any]) -> None:
        if not self.sockets:
            return
        if channel == redis_keys.CONVERSATION_EVENTS_CHANNEL:
            await self._conversation_event(message)
        elif channel == redis_keys.AGENT_EVENTS_CHANNEL:
            await self._agent_event(message)

    async def _conversation_event(self, message: dict[str, Any]) -> None:
        session_id = message.get("session_id")
        agent_id = self.following.owner_here(session_id) if isinstance(session_id, str) else None
        if agent_id is None:
            return
        if message.get("type") == "entry":
            entry = TranscriptEntry.from_fields(int(message["seq"]), message["entry"])
            event, data = entry_event(entry)
            await self._to_agent(
                agent_id, "entry", {"chat_id": chat_id(session_id), "event": event, "data": data,
                                    "kind": entry.kind},
            )  # fmt: skip
        elif message.get("type") == "live" and message.get("audience") == "agents":
            await self._to_agent(
                agent_id, message["event"], {**message["payload"], "chat_id": chat_id(session_id)}
            )

    async def _agent_event(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        session_id = message.get("session_id")
        agent_id = message.get("agent_id")
        if kind == "queue_changed":
            entries = await self.services.desk.queue.entries()
            payload = {"entries": [entry.to_json() for entry in entries]}
            for sid in list(self.sockets):
                await self.sio.emit("queue", payload, to=sid, namespace=NAMESPACE)
        elif kind == "handoff_held_back":  # one source asked for people too often
            payload = {key: message.get(key) for key in ("source", "open_requests", "held_back")}
            for sid in list(self.sockets):
                await self.sio.emit("queue_flood", payload, to=sid, namespace=NAMESPACE)
        elif kind == "presence_changed":
            payload = {"agent_id": agent_id, "status": message.get("status")}
            for sid in list(self.sockets):
                await self.sio.emit("agent_presence", payload, to=sid, namespace=NAMESPACE)
        elif kind == "chat_assigned" and agent_id in self.following.chats:
            self.following.chats[agent_id].add(session_id)
            await self._to_agent(agent_id, "chat_assigned", {"chat_id": chat_id(session_id)})
        elif kind == "chat_released" and agent_id in self.following.chats:
            self.following.chats[agent_id].discard(session_id)
            await self._to_agent(agent_id, "chat_released", {"chat_id": chat_id(session_id)})
        elif kind == "note_added" and isinstance(session_id, str):
            owner = self.following.owner_here(session_id)
            if owner is not None:
                await self._to_agent(owner, "note_added", {"chat_id": chat_id(session_id)})
        elif kind == "session_ended":  # logged out: that session's sockets close
            for sid, agent in list(self.sockets.items()):
                if agent.session_digest == message.get("session"):
                    await self.sio.disconnect(sid, namespace=NAMESPACE)
        elif kind == "sessions_revoked":  # logged out everywhere: all their sockets close
            for sid, agent in list(self.sockets.items()):
                if agent.agent_id == agent_id:
                    await self.sio.disconnect(sid, namespace=NAMESPACE)

    async def _to_agent(self, agent_id: str, event: str, payload: dict[str, Any]) -> None:
        for sid, agent in list(self.sockets.items()):
            if agent.agent_id == agent_id:
                await self.sio.emit(event, payload, to=sid, namespace=NAMESPACE)

    async def _session_still_valid(self, agent: ConnectedAgent) -> bool:
        """Whether the socket's session is live and unrevoked (its expiry starts again)
        and its agent is still enabled with the password they logged in with."""
        session = await self.services.sessions.load_digest(agent.session_digest)
        if session is None:
            return False
        profile = self.services.desk.roster().get(session.agent_id)
        if profile is None or profile.disabled or not session.matches(profile.password_hash):
            await self.services.sessions.end_digest(agent.session_digest)
            return False
        return True

    async def _drop_ended_sessions(self) -> None:
        """Disconnect the sockets whose session ended, expired or was revoked, or whose
        agent was disabled or changed password (refreshing the sessions still valid)."""
        valid: dict[str, bool] = {}
        for sid, agent in list(self.sockets.items()):
            digest = agent.session_digest
            if digest not in valid:
                valid[digest] = await self._session_still_valid(agent)
            if not valid[digest]:
                logger.info("agent_socket.session_gone sid=%s agent=%s", sid, agent.agent_id)
                await self.sio.disconnect(sid, namespace=NAMESPACE)

    async def keep_present_forever(self) -> None:
        """Re-checks sessions every ``SESSION_CHECK_SECONDS`` and disconnects ended ones;
        heartbeats for the agents still connected."""
        times = self.services.desk.presence.times
        interval = min(SESSION_CHECK_SECONDS, HEARTBEAT_SECONDS, times.heartbeat_timeout / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._drop_ended_sessions()
                for agent_id in {agent.agent_id for agent in self.sockets.values()}:
                    await self.services.desk.presence.heartbeat(agent_id)
            except Exception:
                logger.warning("agent_socket.heartbeat_failed", exc_info=True)

    async def requeue_forever(self) -> None:
        """Chats of agents gone beyond the grace period go back to the queue, and
        reservations past their window end (every gateway runs this; the transitions
        are atomic, so each chat moves once)."""
        times = self.services.desk.presence.times
        while True:
            await asyncio.sleep(min(REQUEUE_SWEEP_SECONDS, times.grace / 2))
            try:
                await self.services.desk.requeue_from_gone_agents()
                await self.services.desk.lapse_reservations()
            except Exception:
                logger.warning("agent_socket.requeue_failed", exc_info=True)
