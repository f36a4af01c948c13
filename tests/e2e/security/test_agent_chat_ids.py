"""Finding 4 of issue 16: agents received visitors' session ids, and a session id is the
visitor's bearer credential (presented in ``session_request`` it continues the
conversation as the customer). Now agents name conversations by chat id
(bot/chat_ids.py): nothing an agent receives carries a session id, no id an agent saw
opens the customer's conversation, and the stack's logs name no session id.

The attack, end to end: a visitor is handed to Maria; everything Maria's console can
get (the queue over HTTP and the socket, the sync, every socket event, the chats list,
the packet, the transcript, the notes, the earlier conversations and their transcript)
is searched for the visitor's session id, then every id found in it is presented as a
``session_request.session_id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis

from bot.ownership import owner_of
from bot.stack import Stack
from tests.e2e.agent import AgentClient
from tests.e2e.conftest import IDENTITY_SECRET
from tests.e2e.handoff_helpers import ask_for_a_person, next_event_where, until
from tests.e2e.visitor import Visitor

OpenVisitor = Callable[..., Awaitable[Visitor]]
Agents = Callable[..., Awaitable[AgentClient]]

ID_LIKE = re.compile(r"(?:visitor:)?[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]{16,})?")
"""A string in an answer that could be an id (a chat id, a customer key, a token)."""


def verified(user_id: str) -> dict[str, str]:
    digest = hmac.new(IDENTITY_SECRET.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return {"id": user_id, "hash": digest}


def credential_parts(session_id: str) -> list[str]:
    """The session id and each half of it (its random part alone must not leak either)."""
    token, _, signature = session_id.partition(".")
    return [session_id, token, signature]


class Console:
    """Everything one agent's console received, as raw JSON."""

    def __init__(self, agent: AgentClient) -> None:
        self.agent = agent
        self.answers: list[Any] = []

    async def get(self, path: str) -> Any:
        status, body = await self.agent.call("GET", path)
        assert status == 200, (path, body)
        self.answers.append(body)
        return body

    async def post(self, path: str, body: Any = None) -> Any:
        status, answer = await self.agent.call("POST", path, body)
        assert status in (200, 201), (path, answer)
        self.answers.append(answer)
        return answer

    def everything(self) -> str:
        return json.dumps([self.answers, self.agent.received])


async def handed_to_maria(
    maria: AgentClient, visitor: Visitor, console: Console
) -> tuple[str, dict[str, Any]]:
    """The visitor asks for a person and Maria claims the chat from her queue; its chat
    id (as the queue named it) and the packet."""
    await ask_for_a_person(visitor)
    queued = await next_event_where_queue_has_one(maria)
    chat = str(queued["entries"][0]["chat_id"])
    await console.get("/api/agent/queue")
    await console.post(f"/api/agent/chats/{chat}/claim")
    await maria.next_event("chat_assigned", chat_id=chat)
    packet = await console.get(f"/api/agent/chats/{chat}/packet")
    return chat, packet


async def next_event_where_queue_has_one(agent: AgentClient) -> dict[str, Any]:
    while True:
        event = await agent.next_event("queue", timeout=15)
        if len(event["entries"]) == 1:
            return dict(event)


async def read_everything(console: Console, visitor: Visitor, chat: str) -> None:
    """Every read and event of an owned chat, with the visitor typing and writing."""
    await console.get("/api/agent/chats")
    await console.get(f"/api/agent/chats/{chat}/transcript")
    await console.post(f"/api/agent/chats/{chat}/notes", {"text": "checking the ledger"})
    await console.agent.next_event("note_added", chat_id=chat)
    await console.get(f"/api/agent/chats/{chat}/notes")
    await console.post(f"/api/agent/chats/{chat}/typing", {"typing": True})
    await console.post(f"/api/agent/chats/{chat}/messages", {"text": "Hi, Maria here."})
    await console.post(f"/api/agent/chats/{chat}/read", {"seq": 1})
    await visitor.client.emit("typing", {"typing": True})
    await console.agent.next_event("visitor_typing", chat_id=chat)
    await visitor.send({"message": "thanks, the order is 61234", "client_message_id": "x1"})
    await console.agent.next_event("entry", chat_id=chat, event="visitor_uttered")
    await console.get(f"/api/agent/chats/{chat}/earlier")
    console.answers.append(await console.agent.socket.call("sync", {}, namespace="/agents"))  # type: ignore[union-attr]


async def test_nothing_an_agent_receives_carries_an_anonymous_visitors_session_id(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    maria = await agents("maria")
    console = Console(maria)
    console.answers.append(await maria.connect_socket(stack.config.gateway_urls[1]))
    visitor = await open_visitor(stack.config.gateway_urls[0])

    chat, packet = await handed_to_maria(maria, visitor, console)
    await read_everything(console, visitor, chat)

    everything = console.everything()
    for part in credential_parts(visitor.session_id):
        assert part not in everything, "an agent received the visitor's credential"
    assert chat == visitor.chat_id and packet["chat_id"] == chat
    assert packet["customer_key"] == f"visitor:{chat}", "the customer key is no credential"
    assert "session_id" not in everything


async def test_nothing_an_agent_receives_carries_a_customers_earlier_session_ids(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    url = stack.config.gateway_urls[0]
    customer = verified("cust-chat-ids-1")
    earlier = await open_visitor(url, user=customer)
    await earlier.say("where is my parcel?")
    maria = await agents("maria")
    console = Console(maria)
    console.answers.append(await maria.connect_socket())
    visitor = await open_visitor(url, user=customer)
    assert visitor.session_id != earlier.session_id

    chat, packet = await handed_to_maria(maria, visitor, console)
    await read_everything(console, visitor, chat)
    [listed] = await console.get(f"/api/agent/chats/{chat}/earlier")
    page = await console.get(f"/api/agent/chats/{chat}/earlier/{listed['chat_id']}/transcript")

    assert listed["chat_id"] == earlier.chat_id
    assert [entry["chat_id"] for entry in packet["earlier_conversations"]] == [earlier.chat_id]
    assert "where is my parcel?" in json.dumps(page["entries"])
    everything = console.everything()
    for session_id in (visitor.session_id, earlier.session_id):
        for part in credential_parts(session_id):
            assert part not in everything, "an agent received a customer's credential"


async def test_no_id_an_agent_saw_continues_the_customers_conversation(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    url = stack.config.gateway_urls[0]
    maria = await agents("maria")
    console = Console(maria)
    console.answers.append(await maria.connect_socket())
    visitor = await open_visitor(url)
    chat, _ = await handed_to_maria(maria, visitor, console)
    await read_everything(console, visitor, chat)
    seen = {
        found
        for found in ID_LIKE.findall(console.everything())
        if len(found) == 22 or "." in found or found.startswith("visitor:")
    }
    assert {chat, f"visitor:{chat}"} <= seen
    customer_seq = visitor.last_seq

    for presented in sorted(seen):
        intruder = await open_visitor(url, session_id=presented, last_seq=0)
        assert intruder.state["resumed"] is False, presented
        assert intruder.session_id != visitor.session_id, presented
        assert intruder.last_seq == 0, "nothing of the customer's conversation was sent"
        await intruder.close()

    assert await owner_of(desk_reset, visitor.session_id) == "agent:maria"
    await maria.call("POST", f"/api/agent/chats/{chat}/messages", {"text": "Still here?"})
    said = await next_event_where(visitor, "bot_uttered", text="Still here?")
    assert said["seq"] > customer_seq, "the customer's conversation goes on as it was"


async def test_the_logs_name_the_chat_and_never_the_session_id(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    maria = await agents("maria")
    console = Console(maria)
    await maria.connect_socket()
    visitor = await open_visitor(stack.config.gateway_urls[0])
    chat, _ = await handed_to_maria(maria, visitor, console)
    await maria.call("POST", f"/api/agent/chats/{chat}/close", {})

    def logs() -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(stack.config.log_dir.glob("*.log"))
        )

    await until(lambda: _contains(logs, f"agent_api.closed chat={chat}"))
    everything = logs()
    for part in credential_parts(visitor.session_id):
        assert part not in everything, "a log names the visitor's session id"


async def _contains(read: Callable[[], str], text: str) -> bool:
    return text in read()
