"""The queue and the agents' moves end to end: nobody online, leaving an email, carrying
on with the bot, a claim race, transfer, an agent going away, an agent closing the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from itertools import cycle

import pytest
import redis.asyncio as redis

from bot.ownership import owner_of
from bot.stack import Stack
from tests.e2e.agent import AgentClient
from tests.e2e.handoff_helpers import (
    ask_for_a_person,
    avatar_of,
    bot_texts,
    claimed_by,
    next_event_where,
    until,
)
from tests.e2e.visitor import Visitor

pytestmark = pytest.mark.stack

Agents = Callable[..., Awaitable[AgentClient]]
OpenVisitor = Callable[..., Awaitable[Visitor]]

QUEUE_PAYLOADS = ["/queue_wait", "/queue_email", "/queue_carry_on"]


def offer_of_the_queue(visitor: Visitor) -> dict:
    """The bot's "nobody is free" message, with its quick replies."""
    offers = [
        data
        for event, data in visitor.entries()
        if event == "bot_uttered" and "Nobody from the team is online" in data.get("text", "")
    ]
    assert len(offers) == 1, bot_texts(visitor, "bot")
    return offers[0]


async def queue_of(agent: AgentClient) -> list[dict]:
    status, entries = await agent.call("GET", "/api/agent/queue")
    assert status == 200, entries
    return list(entries)


async def test_with_nobody_online_visitors_queue_in_order_and_move_up_when_one_is_claimed(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, open_visitor: OpenVisitor
) -> None:
    first = await open_visitor(stack.config.gateway_urls[0])
    second = await open_visitor(stack.config.gateway_urls[1])

    queued = await ask_for_a_person(first)
    assert queued["position"] == 1 and queued["wait_seconds"] is None
    assert "agent" not in queued  # nobody to name
    offer = offer_of_the_queue(first)
    assert offer["sender"]["kind"] == "bot"
    assert [reply["payload"] for reply in offer["quick_replies"]] == QUEUE_PAYLOADS

    queued = await ask_for_a_person(second, "my kettle from order 48213 arrived smashed")
    assert queued["position"] == 2 and queued["wait_seconds"] is None
    assert [r["payload"] for r in offer_of_the_queue(second)["quick_replies"]] == QUEUE_PAYLOADS

    maria = await agents("maria")
    assert [entry["chat_id"] for entry in await queue_of(maria)] == [
        first.chat_id,
        second.chat_id,
    ]
    assigned = await claimed_by(maria, first)
    assert assigned["agent"]["id"] == avatar_of("maria")

    update = await next_event_where(second, "queue_update", position=1)
    assert isinstance(update["wait_seconds"], int) and update["wait_seconds"] >= 0
    assert "next in line" in update["text"]
    assert [entry["chat_id"] for entry in await queue_of(maria)] == [second.chat_id]


async def test_a_waiting_visitor_hears_a_wait_once_someone_comes_online(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    queued = await ask_for_a_person(visitor)
    assert queued["wait_seconds"] is None
    maria = await agents("maria")
    await maria.connect_socket()

    def updates() -> list[dict]:
        return [data for event, data in visitor.received if event == "queue_update"]

    async def told_a_wait() -> bool:  # an update saying "nobody online" may come first
        return any(isinstance(update["wait_seconds"], int) for update in updates())

    await until(told_a_wait, timeout=10)
    assert updates()[-1]["position"] == 1


async def test_a_waiting_visitor_can_leave_an_email_for_the_agents(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    await ask_for_a_person(visitor)

    await visitor.send({"message": "/queue_email", "client_message_id": "e1"})
    asked = await visitor.next_event("bot_uttered")
    assert asked["sender"]["kind"] == "system" and "email address" in asked["text"]

    await visitor.send({"message": "me@example.com", "client_message_id": "e2"})
    kept = await visitor.next_event("bot_uttered")
    assert kept["sender"]["kind"] == "system" and "me@example.com" in kept["text"]

    tom = await agents("tom")
    entries = {entry["chat_id"]: entry for entry in await queue_of(tom)}
    assert entries[visitor.chat_id]["email"] == "me@example.com"


async def test_a_waiting_visitor_can_carry_on_with_the_bot(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    await ask_for_a_person(visitor)

    await visitor.send({"message": "/queue_carry_on", "client_message_id": "c1"})
    handed_back = await next_event_where(visitor, "handoff", state="handed_back")
    assert handed_back["resume_point"] == "carry_on" and handed_back["by"] == "visitor"
    resumed = await visitor.bot_turn()
    assert any("carry on together" in text for text in resumed), resumed
    assert any("61234" in text for text in resumed), resumed  # the open complaint, restated
    assert await owner_of(desk_reset, visitor.session_id) == "bot"

    before = len(bot_texts(visitor, "bot"))
    replies = await visitor.say("yes")
    assert replies and len(bot_texts(visitor, "bot")) > before  # the bot, not a notice

    priya = await agents("priya")
    assert visitor.chat_id not in [entry["chat_id"] for entry in await queue_of(priya)]


async def test_of_a_hundred_simultaneous_claims_exactly_one_wins(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    await ask_for_a_person(visitor)
    urls = cycle(stack.config.gateway_urls)
    names = cycle(("maria", "tom", "priya"))
    # Each console from its own address: one address may have only a few logins under
    # way at once (bot/agents/login_guard.py counts them before the password check).
    consoles = await asyncio.gather(
        *(agents(next(names), next(urls), f"198.51.100.{n + 1}") for n in range(100))
    )
    assert len({console.cookie_header() for console in consoles}) == 100  # 100 sessions

    path = f"/api/agent/chats/{visitor.chat_id}/claim"
    answers = await asyncio.gather(*(console.call("POST", path) for console in consoles))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * 99, statuses
    winner = next(
        console for console, (status, _) in zip(consoles, answers, strict=True) if status == 200
    )
    assert {body["error"] for status, body in answers if status == 409} <= {
        "not_queued",
        "at_capacity",
    }
    assigned = await next_event_where(visitor, "handoff", state="assigned")
    assert assigned["agent"]["id"] == avatar_of(winner.agent_id)
    assert await owner_of(desk_reset, visitor.session_id) == f"agent:{winner.agent_id}"
    history = await visitor.history()
    states = [e["data"]["state"] for e in history["entries"] if e["event"] == "handoff"]
    assert states.count("assigned") == 1


async def test_a_transfer_moves_the_chat_and_its_access_to_the_other_agent(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    maria = await agents("maria")
    tom = await agents("tom", stack.config.gateway_urls[1])
    await maria.connect_socket()
    await tom.connect_socket()
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)
    await maria.next_event("chat_assigned", chat_id=visitor.chat_id)

    chat = f"/api/agent/chats/{visitor.chat_id}"
    status, body = await maria.call(
        "POST", f"{chat}/transfer", {"to_agent_id": "tom", "note": "a delivery matter after all"}
    )
    assert status == 200, body

    transferred = await next_event_where(visitor, "handoff", state="transferred")
    assert transferred["agent"]["id"] == avatar_of("tom") and transferred["agent"]["name"] == "Tom"
    assert transferred["from_agent"]["id"] == avatar_of("maria")
    assert "Tom" in transferred["text"]
    await maria.next_event("chat_released", chat_id=visitor.chat_id)
    await tom.next_event("chat_assigned", chat_id=visitor.chat_id)

    status, packet = await tom.call("GET", f"{chat}/packet")
    assert status == 200 and packet["chat_id"] == visitor.chat_id
    status, page = await tom.call("GET", f"{chat}/transcript")
    assert status == 200
    assert page["entries"][-1]["handoff"]["state"] == "transferred"
    status, notes = await tom.call("GET", f"{chat}/notes")
    assert status == 200 and [note["text"] for note in notes] == ["a delivery matter after all"]
    for method, path, body in (
        ("GET", f"{chat}/packet", None),
        ("GET", f"{chat}/transcript", None),
        ("POST", f"{chat}/messages", {"text": "still here"}),
    ):
        status, _ = await maria.call(method, path, body)
        assert status == 403, (method, path)

    status, _ = await tom.call("POST", f"{chat}/messages", {"text": "Tom here, I'll sort it."})
    assert status == 201
    message = await visitor.next_event("bot_uttered")
    assert message["text"] == "Tom here, I'll sort it." and message["sender"]["id"] == avatar_of(
        "tom"
    )
    assert await owner_of(desk_reset, visitor.session_id) == "agent:tom"


@pytest.mark.parametrize("leaving", ["logs_out", "closes_the_console"])
async def test_an_agent_who_goes_away_puts_the_chat_back_at_the_front_of_the_queue(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Agents,
    open_visitor: OpenVisitor,
    leaving: str,
) -> None:
    tom = await agents("tom", stack.config.gateway_urls[1])
    await tom.connect_socket()  # stays online throughout
    maria = await agents("maria")
    await maria.connect_socket()
    held = await open_visitor(stack.config.gateway_urls[0])
    waiting = await open_visitor(stack.config.gateway_urls[1])
    await ask_for_a_person(held)
    await claimed_by(maria, held)
    await ask_for_a_person(waiting)
    assert [entry["chat_id"] for entry in await queue_of(tom)] == [waiting.chat_id]

    if leaving == "logs_out":
        status, body = await maria.call("POST", "/api/agent/logout")
        assert status == 200, body
    else:
        assert maria.socket is not None
        await maria.socket.disconnect()

    requeued = await next_event_where(held, "handoff", timeout=15, state="queued")
    assert requeued["reason"] == "agent_offline" and requeued["position"] == 1
    assert "Maria" in requeued["text"]
    entries = await queue_of(tom)
    assert [entry["chat_id"] for entry in entries] == [held.chat_id, waiting.chat_id]
    assert entries[0]["requeued_from"] == "maria"
    assert await owner_of(desk_reset, held.session_id) == "queued"
    moved_back = await next_event_where(waiting, "queue_update", position=2)
    assert moved_back["position"] == 2

    await claimed_by(tom, held)  # and someone else can pick it up


async def test_an_agent_who_closes_the_chat_ends_the_conversation(
    stack: Stack, desk_reset: redis.Redis, agents: Agents, visitor: Visitor
) -> None:
    maria = await agents("maria")
    await maria.connect_socket()
    await ask_for_a_person(visitor)
    await claimed_by(maria, visitor)

    chat = f"/api/agent/chats/{visitor.chat_id}"
    status, body = await maria.call("POST", f"{chat}/close")
    assert status == 200, body
    closed = await next_event_where(visitor, "handoff", state="closed")
    assert closed["by"] == "agent" and "Maria" in closed["text"]
    await maria.next_event("chat_released", chat_id=visitor.chat_id)

    await visitor.send({"message": "one more thing", "client_message_id": "late"})
    error = await visitor.next_event("error")
    assert error["error"] == "conversation_closed" and error["client_message_id"] == "late"
    status, _ = await maria.call("POST", f"{chat}/messages", {"text": "anything else?"})
    assert status == 403
    assert await owner_of(desk_reset, visitor.session_id) == "closed"
