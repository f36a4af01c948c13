"""The handoff end to end: complaint → a named agent with the packet → messages both
ways while the bot stays silent → hand back → the bot answers again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis.asyncio as redis

from bot.stack import Stack
from tests.e2e.agent import AgentClient
from tests.e2e.handoff_helpers import avatar_of, handoff_events, until
from tests.e2e.visitor import RasaApi, Visitor


async def test_complaint_goes_to_a_named_agent_and_back_to_the_bot(
    stack: Stack,
    desk_reset: redis.Redis,
    agents: Callable[..., Awaitable[AgentClient]],
    visitor: Visitor,
    rasa_api: RasaApi,
) -> None:
    maria = await agents("maria")
    await maria.connect_socket(stack.config.gateway_urls[1])  # agent on the other gateway

    await visitor.say("I was charged $30 twice for order 61234")
    await visitor.say("yes")
    replies = await visitor.say("I want to talk to a person")
    assert any("Maria from our billing team" in text for text in replies), replies
    assert any("won't have to repeat anything" in text for text in replies)
    queued = handoff_events(visitor, "queued")
    assert (
        queued and queued[-1]["agent"]["id"] == avatar_of("maria") and queued[-1]["position"] == 1
    )

    queue_event = await maria.next_event("queue")
    assert [entry["chat_id"] for entry in queue_event["entries"]] == [visitor.chat_id]
    assert queue_event["entries"][0]["routed_to"] == "maria"
    assert "61234" in queue_event["entries"][0]["summary"]

    status, claimed = await maria.call("POST", f"/api/agent/chats/{visitor.chat_id}/claim")
    assert status == 200, claimed
    joined = await visitor.next_event("handoff")
    assert joined["state"] == "assigned" and joined["agent"]["name"] == "Maria"
    assert "Maria" in joined["text"]

    status, packet = await maria.call("GET", f"/api/agent/chats/{visitor.chat_id}/packet")
    assert status == 200, packet
    assert packet["version"] == 2 and packet["chat_id"] == visitor.chat_id
    assert packet["category"] == "billing"
    assert packet["entities"]["order_id"] == "61234"
    assert packet["complaint"]["confirmed"] is True and "61234" in packet["complaint"]["restated"]
    assert packet["limits_stated"] and packet["fixes_proposed"]
    assert packet["trigger"] == "customer_request"
    assert [line["text"] for line in packet["transcript"] if line["kind"] == "visitor"][:2] == [
        "I was charged $30 twice for order 61234",
        "yes",
    ]

    # Maria's typing reaches the visitor (live, not recorded), then her message.
    status, _ = await maria.call(
        "POST", f"/api/agent/chats/{visitor.chat_id}/typing", {"typing": True}
    )
    assert status == 200
    typing = await visitor.next_event("typing")
    assert typing["typing"] is True and typing["sender"]["name"] == "Maria"

    # Agent → visitor, with the agent's name on the message.
    status, sent = await maria.call(
        "POST", f"/api/agent/chats/{visitor.chat_id}/messages", {"text": "Hi, I'm on it."}
    )
    assert status == 201, sent
    message = await visitor.next_event("bot_uttered")
    assert message["text"] == "Hi, I'm on it."
    assert message["sender"]["kind"] == "agent" and message["sender"]["name"] == "Maria"

    # Visitor → agent (on the other gateway); the bot says nothing, even to /restart.
    for text in ("thanks, the second charge was $40", "/restart"):
        await visitor.send({"message": text, "client_message_id": text})
        entry = await maria.next_event("entry", chat_id=visitor.chat_id, event="visitor_uttered")
        assert entry["data"]["text"] == text
    await asyncio.sleep(1.5)
    assert not [
        data
        for event, data in visitor.received[-6:]
        if event == "bot_uttered" and data["sender"]["kind"] == "bot"
    ]

    # The tracker has every message: the visitor's as user events, Maria's as bot
    # utterances carrying her in the metadata.
    async def tracker_has_everything() -> bool:
        events = (await rasa_api.tracker(visitor.session_id))["events"]
        users = [e.get("text") for e in events if e["event"] == "user"]
        agents_said = [
            e for e in events if e["event"] == "bot" and e.get("metadata", {}).get("agent")
        ]
        # Kept as text, never as the /restart command (the gateway's slash guard).
        return any(u and u.endswith("/restart") for u in users) and bool(agents_said)

    await until(tracker_has_everything)
    tracker = await rasa_api.tracker(visitor.session_id)
    assert tracker["paused"] is True
    said = [
        e for e in tracker["events"] if e["event"] == "bot" and e.get("metadata", {}).get("agent")
    ]
    assert said[0]["text"] == "Hi, I'm on it." and said[0]["metadata"]["agent"]["id"] == avatar_of(
        "maria"
    )

    # Hand back: the bot picks up where it was told to.
    status, body = await maria.call(
        "POST",
        f"/api/agent/chats/{visitor.chat_id}/hand-back",
        {"resume_point": "continue", "note": "refunded the double charge"},
    )
    assert status == 200, body
    handed_back = await visitor.next_event("handoff")
    assert handed_back["state"] == "handed_back"
    resumed = await visitor.bot_turn()
    assert resumed and ("anything else" in resumed[-1] or "What else" in resumed[-1]), resumed
    replies = await visitor.say("hello")
    assert replies, "the bot answers again after the hand-back"
    tracker = await rasa_api.tracker(visitor.session_id)
    assert tracker["paused"] is False


async def test_consoles_hear_when_colleagues_come_and_go(
    stack: Stack, desk_reset: redis.Redis, agents: Callable[..., Awaitable[AgentClient]]
) -> None:
    maria = await agents("maria")
    await maria.connect_socket()
    tom = await agents("tom", stack.config.gateway_urls[1])
    assert await maria.next_event("agent_presence", agent_id="tom", status="online")
    status, _ = await tom.call("PUT", "/api/agent/presence", {"status": "away"})
    assert status == 200
    assert await maria.next_event("agent_presence", agent_id="tom", status="away")
    status, _ = await tom.call("POST", "/api/agent/logout")
    assert status == 200
    assert await maria.next_event("agent_presence", agent_id="tom", status="offline")


async def test_a_rasa_webchat_style_client_sees_who_joined_and_what_they_say(
    stack: Stack, desk_reset: redis.Redis, agents: Callable[..., Awaitable[AgentClient]]
) -> None:
    maria = await agents("maria")
    await maria.connect_socket()  # her console's heartbeat keeps her online (3 s here)
    legacy = Visitor(stack.config.gateway_urls[0], protocol=False)
    await legacy.connect()
    try:
        await legacy.say("I was charged twice for order 61234")
        replies = await legacy.say("I want to talk to a person")
        assert any("Maria" in text for text in replies), replies

        status, _ = await maria.call("POST", f"/api/agent/chats/{legacy.chat_id}/claim")
        assert status == 200
        joined = await legacy.next_event("bot_uttered")
        # Rasa's fields only: rasa-webchat drops a message with keys it does not know.
        assert set(joined) == {"text"} and "has joined the chat" in joined["text"]
        await maria.call("POST", f"/api/agent/chats/{legacy.chat_id}/messages", {"text": "Hello!"})
        said = await legacy.next_event("bot_uttered")
        assert said == {"text": "Hello!"}
    finally:
        await legacy.close()
