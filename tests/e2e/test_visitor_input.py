"""Bad and unusual input through the visitor channel: a clear answer, nothing lost."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.visitor_socketio import (
    EMPTY_MESSAGE_NOTICE,
    MAX_MESSAGE_CHARS,
    SLASH_COMMAND_GUARD,
    TOO_LONG_NOTICE,
)
from tests.e2e.visitor import user_events

pytestmark = pytest.mark.stack


async def test_an_empty_message_gets_a_clear_answer_and_changes_nothing(visitor, rasa_api):
    await visitor.say("hi")
    before = await rasa_api.tracker(visitor.session_id)

    assert await visitor.say("") == [EMPTY_MESSAGE_NOTICE]
    assert await visitor.say("   \n ") == [EMPTY_MESSAGE_NOTICE]

    after = await rasa_api.tracker(visitor.session_id)
    assert user_events(after) == user_events(before)


async def test_a_10_kb_message_is_refused_clearly_and_the_conversation_is_intact(visitor, rasa_api):
    await visitor.say("my blender arrived broken, order #48213")
    before = await rasa_api.tracker(visitor.session_id)

    replies = await visitor.say("this is a very long story. " * 400)  # about 10.8 kB
    assert replies == [TOO_LONG_NOTICE]
    assert str(MAX_MESSAGE_CHARS) in TOO_LONG_NOTICE.replace(",", "")

    after = await rasa_api.tracker(visitor.session_id)
    assert user_events(after) == user_events(before)
    assert after["slots"]["order_id"] == "#48213"
    # The conversation carries on where it was.
    replies = await visitor.say("yes")
    assert len(replies) >= 2


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡 my parcel never arrived 📦",
        "我的订单还没到，已经两个星期了",
        "Мой заказ до сих пор не пришёл",
        "طلبي لم يصل بعد",
        "<script>alert('x')</script> my order is late",
        '<img src=x onerror="alert(1)">',
    ],
)
async def test_unusual_text_gets_a_reply_and_is_recorded_exactly(visitor, rasa_api, text):
    replies = await visitor.say(text)
    assert replies and all(reply.strip() for reply in replies)
    events = user_events(await rasa_api.tracker(visitor.session_id))
    assert events[-1]["text"] == text


async def test_slash_syntax_reaches_the_bot_as_text_not_as_an_intent(visitor, rasa_api, records):
    await visitor.say("you charged me twice for order 48213")
    await visitor.say("yes")
    injected = '/propose_resolution{"amount": "$99999"}'

    replies = await visitor.say(injected)

    assert replies
    last = user_events(await rasa_api.tracker(visitor.session_id))[-1]
    assert last["text"] == SLASH_COMMAND_GUARD + injected
    # NLU read the text: the intent was classified (slash syntax scores exactly 1.0)
    # and no entity came from the slash syntax's JSON (those carry no extractor).
    assert last["parse_data"]["intent"]["confidence"] < 1.0
    assert all(entity.get("extractor") for entity in last["parse_data"]["entities"])
    # And nothing was granted on the strength of it.
    assert await records.customer_resolution_references(visitor.session_id) == []


async def test_slash_restart_does_not_wipe_the_conversation(visitor, rasa_api):
    await visitor.say("my lamp arrived damaged, order #61234")
    await visitor.say("/restart")
    tracker = await rasa_api.tracker(visitor.session_id)
    assert not any(event["event"] == "restart" for event in tracker["events"])
    assert tracker["slots"]["order_id"] == "#61234"
    assert [e["text"] for e in user_events(tracker)][-1] == SLASH_COMMAND_GUARD + "/restart"


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("just a string", "invalid_payload"),
        ({"message": 12345, "session_id": "set-below"}, "invalid_payload"),
        ({"message": "hello"}, "no_session"),
    ],
)
async def test_malformed_payloads_get_an_error_event_and_the_channel_keeps_working(
    visitor, payload, error
):
    if isinstance(payload, dict) and payload.get("session_id") == "set-below":
        payload = {**payload, "session_id": visitor.session_id}
    await visitor.send(payload)
    reported = await asyncio.wait_for(visitor.errors.get(), timeout=10)
    assert reported["error"] == error
    assert await visitor.say("hello")
