"""The agents' HTTP API (``/api/agent``): log in, see the queue, claim and handle chats.

JSON in and out. Every call but ``POST /login`` needs the session cookie
(bot/gateway/agent_auth.py), every state-changing one also the CSRF header, and every
authenticated call counts as a sign of life (presence). An agent sees and acts on only
the chats they own; the one read across conversations is the transcript of an earlier
conversation of the same customer. The ownership moves themselves are the desk's
(bot/handoff/desk.py); this module checks, translates and answers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from typing import Any, cast

import redis.asyncio as redis
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot import redis_keys
from bot.agents.login_guard import LoginGuard, keyed_agent_id
from bot.agents.presence import Status
from bot.agents.roster import AgentProfile, RosterError, check_password_async, normalize_agent_id
from bot.gateway import agent_auth
from bot.gateway.agent_auth import AgentSession, AgentSessions, AuthError
from bot.handoff.desk import HandoffDesk, agent_sender
from bot.inbox import RESUME_POINTS
from bot.ownership import agent_owner, owner_kind, owning_agent
from bot.transcript import Transcript, TranscriptEntry, utc_timestamp

logger = logging.getLogger(__name__)

URL_PREFIX = "/api/agent"
MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_CHARS = 4000
"""Messages and notes: the visitor's limit (docs/protocol.md)."""
MAX_ENTRIES_PER_PAGE = 500
MAX_EARLIER_CONVERSATIONS = 50
MAX_NOTES = 1000
SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")
HAND_BACK_POINTS = tuple(point for point in RESUME_POINTS if point != "carry_on")
SETTABLE_STATUSES = ("online", "away")


@dataclass
class AgentApiServices:
    """What the API uses; made when the server starts (nothing at import time)."""

    client: redis.Redis
    desk: HandoffDesk
    transcript: Transcript
    sessions: AgentSessions
    login_guard: LoginGuard


@dataclass(frozen=True)
class Caller:
    """The logged-in agent making a call."""

    session: AgentSession
    agent: AgentProfile


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
    except (ValueError, UnicodeDecodeError):
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


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value


def entry_json(entry: TranscriptEntry) -> dict[str, Any]:
    """A transcript entry as the console reads it: its body's fields plus seq/kind/at."""
    return {**entry.body, "seq": entry.seq, "kind": entry.kind, "at": entry.at}


def iso_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


Handler = Callable[..., Awaitable[HTTPResponse]]


class AgentApi:
    """The endpoints; ``services`` is asked on every call (it exists once the server
    has started)."""

    def __init__(self, services: Callable[[], AgentApiServices]) -> None:
        self.services = services

    # Plumbing: every endpoint goes through ``endpoint``.

    def endpoint(self, handler: Handler, *, public: bool = False, writes: bool = False) -> Handler:
        """Path check, size limit, authentication, heartbeat; errors as JSON."""

        @wraps(handler)
        async def run(request: Request, **path: str) -> HTTPResponse:
            try:
                if any(not SESSION_ID_PATTERN.match(value) for value in path.values()):
                    raise not_found()
                length = request.headers.getone("content-length", "0")
                if len(request.body or b"") > MAX_BODY_BYTES or (
                    length.isdigit() and int(length) > MAX_BODY_BYTES
                ):
                    raise ApiError(413, "payload_too_large", f"at most {MAX_BODY_BYTES} bytes")
                services = self.services()
                if public:
                    return await handler(request, services)
                caller = await self.caller(request, services, writes)
                return await handler(request, services, caller, **path)
            except ApiError as error:
                return error.response()
            except AuthError as error:
                return ApiError(error.status, error.error, error.detail).response()
            except (redis.RedisError, RosterError) as error:
                logger.warning(
                    "agent_api.unavailable path=%s error=%s", request.path, type(error).__name__
                )
                return ApiError(503, "unavailable", "try again in a moment").response()

        return run

    async def caller(self, request: Request, services: AgentApiServices, writes: bool) -> Caller:
        session = await agent_auth.authenticate(request, services.sessions, state_changing=writes)
        agent = services.desk.roster().get(session.agent_id)
        if agent is None or agent.disabled:
            await services.sessions.end(agent_auth.request_session_token(request))
            raise ApiError(401, "unauthorised", "this agent may no longer log in")
        await services.desk.presence.heartbeat(agent.agent_id)
        return Caller(session=session, agent=agent)

    @staticmethod
    async def chat_owner(services: AgentApiServices, session_id: str, caller: Caller) -> None:
        """Go on only if the caller owns the conversation (404 if agents never saw it)."""
        async with services.client.pipeline(transaction=False) as pipe:
            pipe.get(redis_keys.owner_key(session_id))
            pipe.exists(redis_keys.handoff_key(session_id))
            owner, has_handoff = await pipe.execute()
        if owner is None and not has_handoff:
            raise not_found()
        if owning_agent(_text(owner) or "") != caller.agent.agent_id:
            raise forbidden()

    # Session and presence.

    async def login(self, request: Request, services: AgentApiServices) -> HTTPResponse:
        body = json_body(request)
        raw_id = text_field(body, "agent_id", limit=200) or ""
        password = text_field(body, "password", limit=1024) or ""
        guard = services.login_guard
        locked = await guard.locked_for(raw_id)
        if locked:
            raise self.locked(raw_id, locked)
        agent_id = normalize_agent_id(raw_id)
        agent = services.desk.roster().get(agent_id)
        # One bcrypt check whatever the id: an unknown id takes as long as a wrong password.
        if not await check_password_async(agent, password) or agent is None:
            locked = await guard.record_failure(raw_id)
            if locked:
                raise self.locked(raw_id, locked)
            logger.info("agent_api.login_failed agent=%s", keyed_agent_id(raw_id))
            raise ApiError(401, "invalid_credentials", "wrong agent id or password")
        await guard.record_success(agent_id)
        await services.sessions.end(agent_auth.request_session_token(request))
        token, csrf = await services.sessions.create(agent_id)
        await services.desk.presence.set_status(agent_id, "online")
        logger.info("agent_api.login agent=%s", agent_id)
        response = json_response({"agent": agent.public(), "csrf_token": csrf})
        agent_auth.set_session_cookie(response, request, token)
        return response

    @staticmethod
    def locked(raw_id: str, seconds: int) -> ApiError:
        logger.warning(
            "agent_api.login_locked agent=%s seconds=%d", keyed_agent_id(raw_id), seconds
        )
        return ApiError(
            429,
            "locked",
            "too many failed logins: try again later",
            extra={"retry_after_seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )

    async def logout(
        self, request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        agent_id = caller.agent.agent_id
        await services.sessions.end(agent_auth.request_session_token(request))
        await services.desk.presence.set_status(agent_id, "offline")
        await services.desk.publish(
            "session_ended", agent_id=agent_id, session=caller.session.digest
        )
        logger.info("agent_api.logout agent=%s", agent_id)
        response = json_response({"ok": True})
        agent_auth.clear_session_cookie(response, request)
        return response

    async def me(
        self, _request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        status = await services.desk.presence.status(caller.agent.agent_id)
        return json_response(
            {"agent": caller.agent.public(), "status": status, "csrf_token": caller.session.csrf}
        )

    async def presence(
        self, request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        status = choice_field(json_body(request), "status", SETTABLE_STATUSES)
        await services.desk.presence.set_status(caller.agent.agent_id, cast(Status, status))
        return json_response({"status": status})

    async def agents(
        self, _request: Request, services: AgentApiServices, _caller: Caller
    ) -> HTTPResponse:
        active = services.desk.roster().active()
        statuses = await services.desk.presence.statuses()
        loads = await services.desk.presence.loads([agent.agent_id for agent in active])
        return json_response(
            [
                {
                    **agent.public(),
                    "status": statuses.get(agent.agent_id, "offline"),
                    "load": loads.get(agent.agent_id, 0),
                }
                for agent in active
            ]
        )

    async def queue(
        self, _request: Request, services: AgentApiServices, _caller: Caller
    ) -> HTTPResponse:
        return json_response([entry.to_json() for entry in await services.desk.queue.entries()])

    async def chats(
        self, _request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        chats = []
        for session_id in await services.desk.presence.chats_of(caller.agent.agent_id):
            handoff = await services.desk.queue.handoff(session_id)
            entries, _ = await services.transcript.page_before(session_id, None, 1)
            last_entry = None
            if entries:
                last = entries[-1]
                last_entry = {"seq": last.seq, "kind": last.kind, "text": last.text, "at": last.at}
            chats.append(
                {
                    "session_id": session_id,
                    "customer_key": handoff.get("customer_key", ""),
                    "summary": handoff.get("summary", ""),
                    "category": handoff.get("category") or None,
                    "last_entry": last_entry,
                }
            )
        return json_response(chats)

    # Reading a chat.

    async def packet(
        self, _request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        packet = await services.desk.queue.packet(session_id)
        if packet is None:
            raise not_found("this conversation has no handoff packet")
        return json_response(packet)

    async def transcript(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        return await self.transcript_page(request, services, session_id)

    @staticmethod
    async def transcript_page(
        request: Request, services: AgentApiServices, session_id: str
    ) -> HTTPResponse:
        """Entries after ``?after=`` (at most ``MAX_ENTRIES_PER_PAGE``); ``last_seq`` is
        the last one sent (ask again with ``after=last_seq`` while ``has_more``)."""
        after = seq_param(request, "after")
        entries = await services.transcript.after(session_id, after, after + MAX_ENTRIES_PER_PAGE)
        last_seq = entries[-1].seq if entries else after
        newest = await services.transcript.last_seq(session_id)
        return json_response(
            {
                "entries": [entry_json(entry) for entry in entries],
                "last_seq": last_seq,
                "has_more": newest > last_seq,
            }
        )

    async def notes(
        self, _request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        rows = await services.client.xrange(redis_keys.notes_key(session_id), count=MAX_NOTES)
        return json_response([self.note_json(row_id, fields) for row_id, fields in rows])

    @staticmethod
    def note_json(row_id: bytes | str, fields: dict[Any, Any]) -> dict[str, Any]:
        values = {_text(k): _text(v) for k, v in fields.items()}
        return {
            "id": _text(row_id),
            "agent_id": values.get("agent_id"),
            "text": values.get("text"),
            "at": values.get("at"),
        }

    async def add_note(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        text = text_field(json_body(request), "text") or ""
        await self.chat_owner(services, session_id, caller)
        return json_response(
            await self.store_note(services, session_id, caller.agent, text), status=201
        )

    @staticmethod
    async def store_note(
        services: AgentApiServices, session_id: str, agent: AgentProfile, text: str
    ) -> dict[str, Any]:
        """A private note: in the notes stream only, never in the transcript."""
        fields = {"agent_id": agent.agent_id, "text": text, "at": utc_timestamp()}
        note_id = await services.client.xadd(redis_keys.notes_key(session_id), fields)  # type: ignore[arg-type]
        await services.desk.publish(
            "note_added", session_id=session_id, agent_id=agent.agent_id, note_id=_text(note_id)
        )
        return {"id": _text(note_id), **fields}

    async def earlier(
        self, _request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        customer_key = (await services.desk.queue.handoff(session_id)).get("customer_key")
        if not customer_key:
            return json_response([])
        rows = await services.client.zrevrange(
            redis_keys.customer_conversations_key(customer_key),
            0,
            MAX_EARLIER_CONVERSATIONS,
            withscores=True,
        )
        conversations = [(_text(sid) or "", score) for sid, score in rows]
        others = [(sid, score) for sid, score in conversations if sid != session_id]
        async with services.client.pipeline(transaction=False) as pipe:
            for other_id, _ in others:
                pipe.get(redis_keys.owner_key(other_id))
                pipe.hget(redis_keys.handoff_key(other_id), "summary")
            stored = await pipe.execute()
        result = []
        for index, (other_id, score) in enumerate(others[:MAX_EARLIER_CONVERSATIONS]):
            owner, summary = stored[2 * index], stored[2 * index + 1]
            result.append(
                {
                    "session_id": other_id,
                    "started_at": iso_time(score),
                    "outcome": owner_kind(_text(owner) or "bot"),
                    "summary": _text(summary) or None,
                }
            )
        return json_response(result)

    async def earlier_transcript(
        self,
        request: Request,
        services: AgentApiServices,
        caller: Caller,
        session_id: str,
        other_id: str,
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        customer_key = (await services.desk.queue.handoff(session_id)).get("customer_key")
        if not customer_key or (
            await services.client.zscore(
                redis_keys.customer_conversations_key(customer_key), other_id
            )
            is None
        ):
            raise forbidden("not an earlier conversation of this customer")
        return await self.transcript_page(request, services, other_id)

    # Acting on a chat.

    async def claim(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        json_body(request, required=False)
        transition = await services.desk.claim(session_id, caller.agent)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be claimed now")
        logger.info("agent_api.claimed session=%s agent=%s", session_id, caller.agent.agent_id)
        return json_response(
            {"session_id": session_id, "owner": agent_owner(caller.agent.agent_id)}
        )

    async def message(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        text = text_field(json_body(request), "text") or ""
        entry = await services.desk.agent_message(session_id, caller.agent, text)
        if entry is None:
            raise ApiError(403, "not_owner", "only the agent who owns the chat may write in it")
        return json_response({"seq": entry.seq, "at": entry.at}, status=201)

    async def typing(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        typing = json_body(request).get("typing")
        if not isinstance(typing, bool):
            raise invalid("typing must be true or false")
        await self.chat_owner(services, session_id, caller)
        event = {
            "type": "live",
            "session_id": session_id,
            "event": "typing",
            "payload": {"sender": agent_sender(caller.agent), "typing": typing},
            "audience": "visitor",
        }
        await services.desk.client.publish(
            redis_keys.CONVERSATION_EVENTS_CHANNEL, json.dumps(event)
        )
        return json_response({"session_id": session_id, "typing": typing})

    async def transfer(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        body = json_body(request)
        target_id = text_field(body, "to_agent_id", limit=200) or ""
        note = text_field(body, "note", required=False)
        target = services.desk.roster().get(target_id)
        online = target is not None and (await services.desk.presence.status(target_id)) == "online"
        if target is None or target.disabled or not online:
            raise ApiError(409, "agent_unavailable", "that agent is not online to take the chat")
        transition = await services.desk.transfer(session_id, caller.agent, target)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be transferred now")
        if note:
            await self.store_note(services, session_id, caller.agent, note)
        logger.info(
            "agent_api.transferred session=%s from=%s to=%s",
            session_id, caller.agent.agent_id, target_id,
        )  # fmt: skip
        return json_response({"session_id": session_id, "owner": agent_owner(target_id)})

    async def hand_back(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        body = json_body(request)
        resume_point = choice_field(body, "resume_point", HAND_BACK_POINTS)
        note = text_field(body, "note", required=False)
        transition = await services.desk.hand_back(session_id, caller.agent, resume_point, note)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be handed back now")
        logger.info("agent_api.handed_back session=%s agent=%s", session_id, caller.agent.agent_id)
        return json_response({"session_id": session_id, "owner": "bot"})

    async def close(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        json_body(request, required=False)
        transition = await services.desk.close(session_id, caller.agent)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be closed now")
        logger.info("agent_api.closed session=%s agent=%s", session_id, caller.agent.agent_id)
        return json_response({"session_id": session_id, "owner": "closed"})

    # The routes.

    def routes(self) -> list[tuple[str, str, Handler, dict[str, bool]]]:
        """(method, path under /api/agent, handler, access) of every endpoint."""
        read: dict[str, bool] = {}
        write = {"writes": True}
        chat = "/chats/<session_id>"
        return [
            ("POST", "/login", self.login, {"public": True}),
            ("POST", "/logout", self.logout, write),
            ("GET", "/me", self.me, read),
            ("PUT", "/presence", self.presence, write),
            ("GET", "/agents", self.agents, read),
            ("GET", "/queue", self.queue, read),
            ("GET", "/chats", self.chats, read),
            ("POST", f"{chat}/claim", self.claim, write),
            ("GET", f"{chat}/packet", self.packet, read),
            ("GET", f"{chat}/transcript", self.transcript, read),
            ("GET", f"{chat}/notes", self.notes, read),
            ("POST", f"{chat}/notes", self.add_note, write),
            ("GET", f"{chat}/earlier", self.earlier, read),
            ("GET", f"{chat}/earlier/<other_id>/transcript", self.earlier_transcript, read),
            ("POST", f"{chat}/messages", self.message, write),
            ("POST", f"{chat}/typing", self.typing, write),
            ("POST", f"{chat}/transfer", self.transfer, write),
            ("POST", f"{chat}/hand-back", self.hand_back, write),
            ("POST", f"{chat}/close", self.close, write),
        ]


def create_agent_api(services: Callable[[], AgentApiServices]) -> Blueprint:
    """The agents' API as a blueprint at /api/agent; ``services`` is called per request."""
    api = AgentApi(services)
    blueprint = Blueprint("agent_api", url_prefix=URL_PREFIX)
    for method, path, handler, access in api.routes():
        blueprint.add_route(
            api.endpoint(handler, **access),
            path,
            methods=[method],
            name=f"{method.lower()}_{handler.__name__}",
            strict_slashes=True,
        )

    @blueprint.on_response
    async def no_store(_request: Request, response: HTTPResponse) -> None:
        response.headers["Cache-Control"] = "no-store"

    return blueprint
