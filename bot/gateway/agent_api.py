"""The agents' HTTP API (``/api/agent``): log in, see the queue, claim and handle chats.

JSON in and out. Every call but ``POST /login`` needs the session cookie
(bot/gateway/agent_auth.py), every state-changing one also the CSRF header, and every
authenticated call counts as a sign of life (presence). An agent sees and acts on only
the chats they own; the one read across conversations is the transcript of an earlier
conversation of the same customer. Agents name conversations by chat id, never by the
visitor's session id (their credential): paths take chat ids, which ``endpoint`` turns
into the session id the desk works with, and answers carry chat ids (bot/chat_ids.py).
The ownership moves themselves are the desk's (bot/handoff/desk.py); this module
checks, translates and answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import cast

import redis.asyncio as redis
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot import redis_keys
from bot.agents.presence import Status
from bot.agents.roster import RosterError
from bot.chat_ids import CHAT_ID_PATTERN, ChatIds, chat_id, customer_key_for_agents
from bot.console.canned_replies import CannedRepliesError
from bot.gateway import agent_auth
from bot.gateway.agent_auth import AuthError
from bot.gateway.agent_chat_records import AgentApiServices, Caller, ChatRecordEndpoints
from bot.gateway.agent_customer_data import (
    CUSTOMER_PATH,
    CUSTOMER_PATTERN,
    CustomerDataEndpoints,
)
from bot.gateway.agent_requests import (
    HAND_BACK_POINTS,
    MAX_BODY_BYTES,
    SETTABLE_STATUSES,
    URL_PREFIX,
    ApiError,
    choice_field,
    invalid,
    json_body,
    not_found,
    text_field,
)
from bot.handoff.reservation import reservation_in
from bot.ownership import agent_owner

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[HTTPResponse]]


PATH_PATTERNS = {"customer": CUSTOMER_PATTERN}
"""Path parameters that are not chat ids (those match ``CHAT_ID_PATTERN``)."""


class AgentApi(ChatRecordEndpoints, CustomerDataEndpoints):
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
                if any(
                    not PATH_PATTERNS.get(name, CHAT_ID_PATTERN).match(value)
                    for name, value in path.items()
                ):
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
                if "chat_id" in path:
                    path["session_id"] = await self.session_of(services, path.pop("chat_id"))
                return await handler(request, services, caller, **path)
            except ApiError as error:
                return error.response()
            except AuthError as error:
                return ApiError(error.status, error.error, error.detail).response()
            except (redis.RedisError, RosterError, CannedRepliesError) as error:
                logger.warning(
                    "agent_api.unavailable path=%s error=%s", request.path, type(error).__name__
                )
                return ApiError(503, "unavailable", "try again in a moment").response()

        return run

    @staticmethod
    async def session_of(services: AgentApiServices, chat: str) -> str:
        """The conversation a chat id names (404 if none)."""
        session_id = await ChatIds(services.client).session_of(chat)
        if session_id is None:
            raise not_found()
        return session_id

    async def caller(self, request: Request, services: AgentApiServices, writes: bool) -> Caller:
        session = await agent_auth.authenticate(request, services.sessions, state_changing=writes)
        agent = services.desk.roster().get(session.agent_id)
        if agent is None or agent.disabled or not session.matches(agent.password_hash):
            # Disabled, removed or password changed since: the session dies with it.
            await services.sessions.end(agent_auth.request_session_token(request))
            raise ApiError(401, "unauthorised", "this session has ended: log in again")
        await services.desk.presence.heartbeat(agent.agent_id)
        return Caller(session=session, agent=agent)

    # Session and presence.

    async def login(self, request: Request, services: AgentApiServices) -> HTTPResponse:
        body = json_body(request)
        raw_id = text_field(body, "agent_id", limit=200) or ""
        password = text_field(body, "password", limit=1024) or ""
        agent, device = await services.login.check(
            request, services.desk.roster(), raw_id, password
        )
        agent_id = agent.agent_id
        await services.sessions.end(agent_auth.request_session_token(request))
        token, csrf = await services.sessions.create(agent_id, agent.password_hash)
        await services.desk.set_presence(agent_id, "online")
        logger.info("agent_api.login agent=%s", agent_id)
        response = json_response({"agent": agent.public(), "csrf_token": csrf})
        agent_auth.set_session_cookie(response, request, token)
        services.login.remember_device(response, request, agent_id, device)
        return response

    async def logout(
        self, request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        agent_id = caller.agent.agent_id
        await services.sessions.end(agent_auth.request_session_token(request))
        await services.desk.set_presence(agent_id, "offline")
        await services.desk.publish(
            "session_ended", agent_id=agent_id, session=caller.session.digest
        )
        logger.info("agent_api.logout agent=%s", agent_id)
        response = json_response({"ok": True})
        agent_auth.clear_session_cookie(response, request)
        return response

    async def logout_everywhere(
        self, request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        """End every console session of the caller (this one too), on every device."""
        agent_id = caller.agent.agent_id
        await services.sessions.revoke_all(agent_id)
        await services.sessions.end(agent_auth.request_session_token(request))
        await services.desk.set_presence(agent_id, "offline")
        await services.desk.publish("sessions_revoked", agent_id=agent_id)
        logger.info("agent_api.logout_everywhere agent=%s", agent_id)
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
        await services.desk.set_presence(caller.agent.agent_id, cast(Status, status))
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
        entries = await services.desk.queue.entries()
        await ChatIds(services.client).remember(entry.session_id for entry in entries)
        return json_response([entry.to_json() for entry in entries])

    async def chats(
        self, _request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        chats = []
        agent_id = caller.agent.agent_id
        read = await services.client.hgetall(redis_keys.agent_read_key(agent_id))
        owned = await services.desk.presence.chats_of(agent_id)
        chat_ids = await ChatIds(services.client).remember(owned)
        for session_id in owned:
            handoff = await services.desk.queue.handoff(session_id)
            read_seq = int(read.get(session_id.encode(), 0))
            unread_entries = await services.transcript.after(session_id, read_seq)
            entries, _ = await services.transcript.page_before(session_id, None, 1)
            last_entry = None
            if entries:
                last = entries[-1]
                last_entry = {"seq": last.seq, "kind": last.kind, "text": last.text, "at": last.at}
            chats.append(
                {
                    "chat_id": chat_ids[session_id],
                    "customer_key": customer_key_for_agents(handoff.get("customer_key", "")),
                    "summary": handoff.get("summary", ""),
                    "category": handoff.get("category") or None,
                    "last_entry": last_entry,
                    "read_seq": read_seq,
                    "unread": sum(entry.kind == "visitor" for entry in unread_entries),
                }
            )
        return json_response(chats)

    async def canned_replies(
        self, _request: Request, services: AgentApiServices, caller: Caller
    ) -> HTTPResponse:
        first_name = caller.agent.name.split()[0] if caller.agent.name.split() else ""
        replies = services.canned_replies.get()
        return json_response([reply.for_agent(first_name) for reply in replies])

    async def mark_read(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        seq = json_body(request).get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise invalid("seq must be a whole number of at least 0")
        await self.chat_owner(services, session_id, caller)
        await services.client.hset(
            redis_keys.agent_read_key(caller.agent.agent_id), session_id, seq
        )
        return json_response({"chat_id": chat_id(session_id), "read_seq": seq})

    # Acting on a chat.

    async def claim(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        json_body(request, required=False)
        transition = await services.desk.claim(session_id, caller.agent)
        if transition.status == "reserved":
            raise ApiError(409, "reserved", await reserved_detail(services, session_id))
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be claimed now")
        chat = chat_id(session_id)
        logger.info("agent_api.claimed chat=%s agent=%s", chat, caller.agent.agent_id)
        return json_response({"chat_id": chat, "owner": agent_owner(caller.agent.agent_id)})

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
        await services.desk.agent_typing(session_id, caller.agent, typing)
        return json_response({"chat_id": chat_id(session_id), "typing": typing})

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
        chat = chat_id(session_id)
        logger.info(
            "agent_api.transferred chat=%s from=%s to=%s", chat, caller.agent.agent_id, target_id
        )
        return json_response({"chat_id": chat, "owner": agent_owner(target_id)})

    async def hand_back(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        body = json_body(request)
        resume_point = choice_field(body, "resume_point", HAND_BACK_POINTS)
        note = text_field(body, "note", required=False)
        transition = await services.desk.hand_back(session_id, caller.agent, resume_point, note)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be handed back now")
        if note:  # kept with the conversation for whoever helps this customer next
            await self.store_note(services, session_id, caller.agent, note)
        chat = chat_id(session_id)
        logger.info("agent_api.handed_back chat=%s agent=%s", chat, caller.agent.agent_id)
        return json_response({"chat_id": chat, "owner": "bot"})

    async def close(
        self, request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        json_body(request, required=False)
        transition = await services.desk.close(session_id, caller.agent)
        if not transition.ok:
            raise ApiError(409, transition.status, "the chat cannot be closed now")
        chat = chat_id(session_id)
        logger.info("agent_api.closed chat=%s agent=%s", chat, caller.agent.agent_id)
        return json_response({"chat_id": chat, "owner": "closed"})

    # The routes.

    def routes(self) -> list[tuple[str, str, Handler, dict[str, bool]]]:
        """(method, path under /api/agent, handler, access) of every endpoint."""
        read: dict[str, bool] = {}
        write = {"writes": True}
        chat = "/chats/<chat_id>"
        return [
            ("POST", "/login", self.login, {"public": True}),
            ("POST", "/logout", self.logout, write),
            ("POST", "/logout-everywhere", self.logout_everywhere, write),
            ("GET", "/me", self.me, read),
            ("PUT", "/presence", self.presence, write),
            ("GET", "/agents", self.agents, read),
            ("GET", "/queue", self.queue, read),
            ("GET", "/chats", self.chats, read),
            ("GET", "/canned-replies", self.canned_replies, read),
            ("POST", f"{chat}/claim", self.claim, write),
            ("GET", f"{chat}/packet", self.packet, read),
            ("GET", f"{chat}/transcript", self.transcript, read),
            ("GET", f"{chat}/notes", self.notes, read),
            ("POST", f"{chat}/notes", self.add_note, write),
            ("GET", f"{chat}/earlier", self.earlier, read),
            ("GET", f"{chat}/earlier/<other_id>/transcript", self.earlier_transcript, read),
            ("POST", f"{chat}/messages", self.message, write),
            ("POST", f"{chat}/typing", self.typing, write),
            ("POST", f"{chat}/read", self.mark_read, write),
            ("POST", f"{chat}/transfer", self.transfer, write),
            ("POST", f"{chat}/hand-back", self.hand_back, write),
            ("POST", f"{chat}/close", self.close, write),
            # Supervisors only (bot/gateway/agent_customer_data.py).
            ("GET", f"{CUSTOMER_PATH}/export", self.export_customer_data, read),
            ("POST", f"{CUSTOMER_PATH}/erase", self.erase_customer_data, write),
        ]


async def reserved_detail(services: AgentApiServices, session_id: str) -> str:
    """Why a claim was refused: the customer was promised another agent, for how long."""
    handoff = await services.desk.queue.handoff(session_id)
    reservation = reservation_in(handoff, time.time())
    if reservation is None:
        return "the chat is reserved for the agent the customer was told about"
    agent = services.desk.roster().get(reservation.agent_id)
    name = agent.name if agent else reservation.agent_id
    return (
        f"the chat is reserved for {name} (the customer was told they will join) for "
        f"another {reservation.seconds_left(time.time())} s; after that anyone may claim it"
    )


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
