"""The agent API's reads of one chat's records: packet, transcript, private notes and
the customer's earlier conversations (the only read across conversations). Only the
agent who owns the chat may read them; conversations are named by chat id
(bot/chat_ids.py). Part of bot/gateway/agent_api.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as redis
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot import redis_keys
from bot.agents.roster import AgentProfile
from bot.console.canned_replies import CannedRepliesFile
from bot.conversations import conversation_of_customer, earlier_conversations
from bot.gateway.agent_auth import AgentSession, AgentSessions
from bot.gateway.agent_login import AgentLogin
from bot.gateway.agent_requests import (
    MAX_EARLIER_CONVERSATIONS,
    MAX_ENTRIES_PER_PAGE,
    MAX_NOTES,
    entry_json,
    forbidden,
    json_body,
    not_found,
    seq_param,
    text_field,
)
from bot.handoff.desk import HandoffDesk
from bot.handoff.packet import packet_for_agents
from bot.ownership import owning_agent
from bot.redis_keys import decoded
from bot.retention import RetentionPolicy
from bot.transcript import Transcript, utc_timestamp


@dataclass
class AgentApiServices:
    """What the API uses; made when the server starts (nothing at import time)."""

    client: redis.Redis
    desk: HandoffDesk
    transcript: Transcript
    sessions: AgentSessions
    login: AgentLogin
    canned_replies: CannedRepliesFile
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    """Notes are kept this long after the latest (the sweeper also ends them)."""


@dataclass(frozen=True)
class Caller:
    """The logged-in agent making a call."""

    session: AgentSession
    agent: AgentProfile


class ChatRecordEndpoints:
    """Endpoints reading a chat's records (mixed into ``AgentApi``)."""

    @staticmethod
    async def chat_owner(services: AgentApiServices, session_id: str, caller: Caller) -> None:
        """Go on only if the caller owns the conversation (404 if agents never saw it)."""
        async with services.client.pipeline(transaction=False) as pipe:
            pipe.get(redis_keys.owner_key(session_id))
            pipe.exists(redis_keys.handoff_key(session_id))
            owner, has_handoff = await pipe.execute()
        if owner is None and not has_handoff:
            raise not_found()
        if owning_agent(decoded(owner) or "") != caller.agent.agent_id:
            raise forbidden()

    # Reading a chat.

    async def packet(
        self, _request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        packet = await services.desk.queue.packet(session_id)
        if packet is None:
            raise not_found("this conversation has no handoff packet")
        return json_response(packet_for_agents(packet))

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
        values = {decoded(k): decoded(v) for k, v in fields.items()}
        return {
            "id": decoded(row_id),
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
        key = redis_keys.notes_key(session_id)
        async with services.client.pipeline(transaction=True) as pipe:
            pipe.xadd(key, fields)  # type: ignore[arg-type]
            pipe.expire(key, services.retention.seconds("notes"))
            note_id, _ = await pipe.execute()
        await services.desk.publish(
            "note_added", session_id=session_id, agent_id=agent.agent_id, note_id=decoded(note_id)
        )
        return {"id": decoded(note_id), **fields}

    async def earlier(
        self, _request: Request, services: AgentApiServices, caller: Caller, session_id: str
    ) -> HTTPResponse:
        await self.chat_owner(services, session_id, caller)
        customer_key = (await services.desk.queue.handoff(session_id)).get("customer_key")
        if not customer_key:
            return json_response([])
        earlier = await earlier_conversations(
            services.client, customer_key, session_id, limit=MAX_EARLIER_CONVERSATIONS
        )
        return json_response([asdict(conversation) for conversation in earlier])

    async def earlier_transcript(
        self,
        request: Request,
        services: AgentApiServices,
        caller: Caller,
        session_id: str,
        other_id: str,
    ) -> HTTPResponse:
        """``other_id`` is the earlier conversation's chat id; only the customer's own
        conversations are looked at, so no other chat can be reached this way."""
        await self.chat_owner(services, session_id, caller)
        customer_key = (await services.desk.queue.handoff(session_id)).get("customer_key")
        other_session_id = (
            await conversation_of_customer(services.client, customer_key, other_id)
            if customer_key
            else None
        )
        if other_session_id is None:
            raise forbidden("not an earlier conversation of this customer")
        return await self.transcript_page(request, services, other_session_id)
