"""The handoff when parts fail or someone misbehaves: a gateway or Rasa killed while
people own or wait for a chat, and the agent API's and socket's guards.

The failure tests kill parts of the shared stack with SIGKILL and restart them (as
tests/e2e/test_gateway_failures.py does); each puts the stack back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
import redis.asyncio as redis
import socketio

from bot.chat_ids import chat_id
from bot.gateway.payloads import SLASH_COMMAND_GUARD
from bot.ownership import owner_of
from bot.stack import Stack
from bot.transcript import Transcript
from tests.e2e.agent import AgentClient
from tests.e2e.handoff_helpers import (
    ask_for_a_person,
    avatar_of,
    claimed_by,
    next_event_where,
    tracker_texts,
    until,
)
from tests.e2e.visitor import RasaApi, Visitor

pytestmark = pytest.mark.stack

Agents = Callable[..., Awaitable[AgentClient]]
OpenVisitor = Callable[..., Awaitable[Visitor]]


async def restart(stack: Stack, part: str) -> None:
    """Start a killed part again and wait until it is healthy."""
    loop = asyncio.get_running_loop()
    if part == "rasa":
        await loop.run_in_executor(None, stack.start_rasa)
    else:
        port = int(part.removeprefix("gateway-"))
        await loop.run_in_executor(None, stack.start_gateway, port)


async def agent_says(agent: AgentClient, session_id: str, text: str) -> int:
    """``agent`` writes in the visitor's chat (addressed, as agents do, by its chat id)."""
    status, body = await agent.call(
        "POST", f"/api/agent/chats/{chat_id(session_id)}/messages", {"text": text}
    )
    assert status == 201, body
    return int(body["seq"])


async def visitor_says_to(agent: AgentClient, visitor: Visitor, text: str) -> None:
    """The visitor writes; the agent's console receives it."""
    await visitor.send({"message": text, "client_message_id": text})
    entry = await agent.next_event(
        "entry", timeout=15, chat_id=visitor.chat_id, event="visitor_uttered"
    )
    assert entry["data"]["text"] == text


async def test_a_killed_gateway_loses_nothing_of_a_chat_an_agent_owns(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Agents,
    visitors: list[Visitor],
    transcript: Transcript,
    rasa_api: RasaApi,
) -> None:
    dying, surviving = stack.config.gateway_urls
    dying_part = f"gateway-{stack.config.gateway_ports[0]}"
    maria = await agents("maria", surviving)
    await maria.connect_socket()
    visitor = Visitor(dying)
    visitors.append(visitor)
    await visitor.connect()
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)
    session_id = visitor.session_id
    await agent_says(maria, session_id, "Hi, Maria here.")
    await visitor.next_event("bot_uttered")

    try:
        await visitor_says_to(maria, visitor, "the second charge was $40")
        stack.kill_part(dying_part)
        await visitor.client.disconnect()
        missed = [
            await agent_says(maria, session_id, text)
            for text in ("I can see it.", "Refunding it now.")
        ]

        moved = Visitor(surviving)
        visitors.append(moved)
        last_seen = visitor.last_seq
        await moved.connect(session_id=session_id, last_seq=last_seen)
        assert moved.session_id == session_id and moved.state["resumed"] is True
        assert moved.state["owner"] == "agent" and moved.state["agent"]["id"] == avatar_of("maria")
        await moved.wait_for_seq(missed[-1])
        replayed = moved.entries()
        # Everything after the last entry seen, once each, in order (the visitor's own
        # last message too, if its echo was lost with the gateway).
        assert [data["seq"] for _, data in replayed] == list(range(last_seen + 1, missed[-1] + 1))
        assert [data["text"] for event, data in replayed if event == "bot_uttered"] == [
            "I can see it.",
            "Refunding it now.",
        ]

        await visitor_says_to(maria, moved, "thank you!")
        welcome_seq = await agent_says(maria, session_id, "You're welcome.")
        await moved.wait_for_seq(welcome_seq)
        _, welcome = moved.entries()[-1]
        assert welcome["text"] == "You're welcome." and welcome["sender"]["id"] == avatar_of(
            "maria"
        )
    finally:
        await restart(stack, dying_part)

    assert await owner_of(desk_reset, session_id) == "agent:maria"
    stored = await transcript.all(session_id)
    assert [entry.seq for entry in stored] == list(range(1, len(stored) + 1))
    seen = [data["seq"] for _, data in visitor.entries() + moved.entries()]
    assert seen == list(range(1, len(stored) + 1))  # every entry reached the visitor once

    async def tracker_has_the_chat() -> bool:
        users, agents_said = await tracker_texts(rasa_api, session_id)
        return "thank you!" in users and "You're welcome." in agents_said

    await until(tracker_has_the_chat, timeout=60)
    users, agents_said = await tracker_texts(rasa_api, session_id)
    assert users.count("the second charge was $40") == 1 and users.count("thank you!") == 1
    assert agents_said == [
        "Hi, Maria here.",
        "I can see it.",
        "Refunding it now.",
        "You're welcome.",
    ]


async def test_the_relay_works_without_rasa_and_the_tracker_catches_up_once(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Agents,
    visitor: Visitor,
    rasa_api: RasaApi,
) -> None:
    maria = await agents("maria", stack.config.gateway_urls[1])
    await maria.connect_socket()
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)
    session_id = visitor.session_id
    visitor_lines = ["are you there?", "the charge is still on my card", "/restart"]
    agent_lines = ["Yes, Maria here.", "I'll refund it.", "Done: you'll see it in 3 days."]

    try:
        await visitor_says_to(maria, visitor, visitor_lines[0])
        stack.kill_part("rasa")
        for visitor_line, agent_line in zip(visitor_lines[1:], agent_lines[:-1], strict=True):
            await agent_says(maria, session_id, agent_line)
            said = await visitor.next_event("bot_uttered")
            assert said["text"] == agent_line and said["sender"]["kind"] == "agent"
            await visitor_says_to(maria, visitor, visitor_line)
        await agent_says(maria, session_id, agent_lines[-1])
        said = await visitor.next_event("bot_uttered")
        assert said["text"] == agent_lines[-1]
    finally:
        await restart(stack, "rasa")

    async def tracker_has_everything() -> bool:
        users, agents_said = await tracker_texts(rasa_api, session_id)
        return any(text.endswith("/restart") for text in users) and (agent_lines[-1] in agents_said)

    await until(tracker_has_everything, timeout=90)
    tracker = await rasa_api.tracker(session_id)
    users, agents_said = await tracker_texts(rasa_api, session_id)
    assert tracker["paused"] is True
    after_handoff = users[users.index("I want to talk to a person") + 1 :]
    # Each exactly once, in order; /restart kept as text (the gateway's slash guard).
    assert [text.removeprefix(SLASH_COMMAND_GUARD) for text in after_handoff] == visitor_lines
    assert agents_said == agent_lines

    status, body = await maria.call(
        "POST", f"/api/agent/chats/{chat_id(session_id)}/hand-back", {"resume_point": "continue"}
    )
    assert status == 200, body
    await next_event_where(visitor, "handoff", state="handed_back")
    resumed = await visitor.bot_turn(timeout=60)
    assert resumed
    assert await visitor.say("hello")
    assert (await rasa_api.tracker(session_id))["paused"] is False


async def test_a_queued_chat_survives_its_gateway_and_can_be_claimed_on_the_other(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Agents,
    visitors: list[Visitor],
) -> None:
    dying, surviving = stack.config.gateway_urls
    dying_part = f"gateway-{stack.config.gateway_ports[0]}"
    visitor = Visitor(dying)
    visitors.append(visitor)
    await visitor.connect()
    await ask_for_a_person(visitor)

    try:
        stack.kill_part(dying_part)
        await visitor.client.disconnect()
        tom = await agents("tom", surviving)
        status, entries = await tom.call("GET", "/api/agent/queue")
        assert status == 200
        assert [entry["chat_id"] for entry in entries] == [visitor.chat_id]
        status, body = await tom.call("POST", f"/api/agent/chats/{visitor.chat_id}/claim")
        assert status == 200, body

        moved = Visitor(surviving)
        visitors.append(moved)
        await moved.connect(session_id=visitor.session_id, last_seq=visitor.last_seq)
        assigned = await next_event_where(moved, "handoff", state="assigned")
        assert assigned["agent"]["id"] == avatar_of("tom")
    finally:
        await restart(stack, dying_part)
    assert await owner_of(desk_reset, visitor.session_id) == "agent:tom"


# The guards.


async def owned_chat(
    agents: Agents, open_visitor: OpenVisitor, url: str
) -> tuple[AgentClient, Visitor]:
    """Maria (console open, so she stays online) owning a new visitor's chat."""
    maria = await agents("maria")
    await maria.connect_socket()
    visitor = await open_visitor(url)
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)
    return maria, visitor


async def anonymous_call(
    url: str, method: str, path: str, cookie: str | None = None
) -> tuple[int, object]:
    headers = {"Cookie": cookie} if cookie else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{url}{path}", headers=headers) as reply,
    ):
        return reply.status, await reply.json(content_type=None)


async def test_without_a_session_cookie_the_api_answers_401_and_nothing_else(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    url = stack.config.gateway_urls[0]
    _, visitor = await owned_chat(agents, open_visitor, url)
    for path in (
        "/api/agent/queue",
        "/api/agent/chats",
        f"/api/agent/chats/{visitor.chat_id}/packet",
    ):
        status, body = await anonymous_call(url, "GET", path)
        assert status == 401, path
        assert isinstance(body, dict) and set(body) == {"error", "detail"}, body


async def test_without_the_right_csrf_header_nothing_changes(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    url = stack.config.gateway_urls[0]
    waiting = await open_visitor(url)
    await ask_for_a_person(waiting)
    maria, owned = await owned_chat(agents, open_visitor, url)
    attempts = [
        (f"/api/agent/chats/{waiting.chat_id}/claim", None),
        (f"/api/agent/chats/{owned.chat_id}/messages", {"text": "forged"}),
        (f"/api/agent/chats/{owned.chat_id}/hand-back", {"resume_point": "resolved"}),
    ]
    for path, body in attempts:
        status, answer = await maria.call("POST", path, body, csrf=False)
        assert status == 403 and answer["error"] == "csrf", (path, answer)
        status, answer = await maria.call(
            "POST", path, body, csrf=False, headers={"X-CSRF-Token": secrets.token_urlsafe(32)}
        )
        assert status == 403 and answer["error"] == "csrf", (path, answer)

    assert await owner_of(desk_reset, waiting.session_id) == "queued"
    assert await owner_of(desk_reset, owned.session_id) == "agent:maria"
    await agent_says(maria, owned.session_id, "the real one")
    said = await owned.next_event("bot_uttered")
    assert said["text"] == "the real one"  # nothing forged came before it


async def test_an_agent_cannot_touch_another_agents_chat(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    _, visitor = await owned_chat(agents, open_visitor, stack.config.gateway_urls[0])
    tom = await agents("tom")
    chat = f"/api/agent/chats/{visitor.chat_id}"
    for method, path, body in (
        ("GET", f"{chat}/packet", None),
        ("GET", f"{chat}/transcript", None),
        ("GET", f"{chat}/notes", None),
        ("POST", f"{chat}/notes", {"text": "tom was here"}),
        ("POST", f"{chat}/messages", {"text": "tom was here"}),
    ):
        status, answer = await tom.call(method, path, body)
        assert status == 403, (method, path, answer)
        assert set(answer) == {"error", "detail"}, answer
    history = await visitor.history()
    assert "tom was here" not in str(history)
    assert await desk_reset.xlen(f"notes:{visitor.session_id}") == 0


async def test_a_made_up_session_id_never_opens_an_agent_owned_chat(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    url = stack.config.gateway_urls[0]
    _, visitor = await owned_chat(agents, open_visitor, url)
    token, _, signature = visitor.session_id.partition(".")
    made_up = [
        f"{secrets.token_urlsafe(16)[:22]}.{secrets.token_urlsafe(16)[:22]}",
        f"{token}.{secrets.token_urlsafe(16)[:22]}",
        f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{signature}",
    ]
    for forged in made_up:
        intruder = await open_visitor(url, session_id=forged, last_seq=0)
        assert intruder.session_id not in (forged, visitor.session_id)
        assert intruder.state["resumed"] is False and intruder.state["owner"] == "bot"
        assert intruder.state["last_seq"] == 0 and "agent" not in intruder.state
        assert await intruder.history() == {"entries": [], "has_more": False}


async def test_a_private_note_never_reaches_the_visitor(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Agents,
    open_visitor: OpenVisitor,
    transcript: Transcript,
) -> None:
    maria, visitor = await owned_chat(agents, open_visitor, stack.config.gateway_urls[1])
    secret_note = "customer sounds like a repeat refund abuser"
    status, note = await maria.call(
        "POST", f"/api/agent/chats/{visitor.chat_id}/notes", {"text": secret_note}
    )
    assert status == 201, note
    # Everything is delivered in order: once this arrives, the note would have too.
    await agent_says(maria, visitor.session_id, "Let me check that for you.")
    said = await visitor.next_event("bot_uttered")
    assert said["text"] == "Let me check that for you."

    assert secret_note not in str(visitor.received)
    assert secret_note not in str(await visitor.history())
    assert all(
        secret_note not in entry.to_json() for entry in await transcript.all(visitor.session_id)
    )
    status, notes = await maria.call("GET", f"/api/agent/chats/{visitor.chat_id}/notes")
    assert status == 200 and [n["text"] for n in notes] == [secret_note]


async def socket_refused(url: str, cookie: str | None) -> bool:
    """Whether the ``/agents`` namespace refuses a console sending ``cookie``."""
    client = socketio.AsyncClient(reconnection=False)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def answered(refused: bool) -> Callable[..., None]:
        def record(*_: object) -> None:
            if not answer.done():
                answer.set_result(refused)

        return record

    client.on("connect", answered(False), namespace="/agents")
    client.on("connect_error", answered(True), namespace="/agents")
    headers = {"Cookie": cookie} if cookie else {}
    await client.connect(
        url, transports=["websocket"], namespaces=["/agents"], headers=headers, wait=False
    )
    try:
        return await asyncio.wait_for(answer, timeout=10)
    finally:
        await client.disconnect()


async def test_the_agents_socket_needs_a_valid_session_cookie(
    stack: Stack, desk_reset: redis.Redis
) -> None:
    url = stack.config.gateway_urls[0]
    for cookie in (
        None,
        "agent_session=not-a-token",
        f"agent_session={secrets.token_urlsafe(32)}",  # well formed, never issued
    ):
        assert await socket_refused(url, cookie), cookie


async def test_after_logout_the_old_cookie_opens_nothing(
    stack: Stack, desk_reset: redis.Redis, agents: Agents
) -> None:
    url = stack.config.gateway_urls[0]
    maria = await agents("maria")
    await maria.connect_socket(stack.config.gateway_urls[1])
    old_cookie = maria.cookie_header()
    assert not await socket_refused(url, old_cookie)
    status, _ = await anonymous_call(url, "GET", "/api/agent/queue", old_cookie)
    assert status == 200

    status, body = await maria.call("POST", "/api/agent/logout")
    assert status == 200, body

    async def console_disconnected() -> bool:
        return maria.socket is not None and not maria.socket.connected

    await until(console_disconnected)
    for gateway in stack.config.gateway_urls:
        status, answer = await anonymous_call(gateway, "GET", "/api/agent/queue", old_cookie)
        assert status == 401 and set(answer) == {"error", "detail"}, answer
        assert await socket_refused(gateway, old_cookie)
