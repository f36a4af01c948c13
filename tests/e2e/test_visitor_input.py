"""Bad and unusual input through the gateway: a clear answer, nothing lost, nothing forwarded."""

from __future__ import annotations

import pytest

from bot.gateway.forwarder import REJECTED_NOTICE
from bot.gateway.payloads import MAX_MESSAGE_CHARS, SLASH_COMMAND_GUARD
from bot.gateway.visitor_socket import NOTICES
from tests.e2e.visitor import Visitor, user_events

pytestmark = pytest.mark.stack


async def test_an_empty_message_gets_an_error_event_and_changes_nothing(visitor, rasa_api):
    await visitor.say("hi")
    before = await rasa_api.tracker(visitor.session_id)
    seq_before = visitor.last_seq

    for text in ("", "   \n "):
        await visitor.send({"message": text, "client_message_id": "empty"})
        error = await visitor.next_event("error")
        assert error == {"error": "empty_message", "detail": "the message has no text",
                         "client_message_id": "empty"}  # fmt: skip

    assert user_events(await rasa_api.tracker(visitor.session_id)) == user_events(before)
    assert (await visitor.say("hello again")) and visitor.last_seq > seq_before


async def test_a_10_kb_message_is_refused_clearly_and_the_conversation_is_intact(
    visitor, rasa_api, stack
):
    await visitor.say("my blender arrived broken, order #48213")
    before = await rasa_api.tracker(visitor.session_id)
    seq_before = visitor.last_seq

    await visitor.send({"message": "this is a very long story. " * 400, "client_message_id": "L"})
    error = await visitor.next_event("error")
    assert error["error"] == "message_too_long" and error["client_message_id"] == "L"
    assert "4000" in error["detail"]

    after = await rasa_api.tracker(visitor.session_id)
    assert user_events(after) == user_events(before)
    assert after["slots"]["order_id"] == "48213"  # found without its "#"
    # Not in the transcript either: the next entry follows straight on.
    replies = await visitor.say("yes")
    assert len(replies) >= 2
    assert min(data["seq"] for _, data in visitor.entries() if data["seq"] > seq_before) == (
        seq_before + 1
    )


async def test_rasas_clients_are_told_in_a_bot_message_why_a_message_was_refused(stack):
    legacy = Visitor(stack.config.gateway_urls[0], protocol=False)
    await legacy.connect()
    try:
        assert await legacy.say("x" * 4001) == [NOTICES["message_too_long"].format(limit=4000)]
        assert await legacy.say("  ") == [NOTICES["empty_message"]]
        assert len(await legacy.say("my parcel never arrived")) >= 1
    finally:
        await legacy.close()


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
    echoed = [data["text"] for event, data in visitor.received if event == "visitor_uttered"]
    assert echoed[-1] == text


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
    assert await records.customer_resolution_references(visitor.customer_key) == []


async def test_a_message_at_the_size_limit_starting_with_a_slash_reaches_the_bot(visitor, rasa_api):
    text = "/" + "my parcel never arrived " * (MAX_MESSAGE_CHARS // 24 + 1)
    text = text[: MAX_MESSAGE_CHARS - 1] + "!"  # no whitespace to strip: exactly the limit

    assert len(text) == MAX_MESSAGE_CHARS

    replies = await visitor.say(text)

    assert replies and REJECTED_NOTICE not in replies
    last = user_events(await rasa_api.tracker(visitor.session_id))[-1]
    assert last["text"] == SLASH_COMMAND_GUARD + text.strip()


async def test_slash_restart_does_not_wipe_the_conversation(visitor, rasa_api):
    await visitor.say("my lamp arrived damaged, order #61234")
    await visitor.say("/restart")
    tracker = await rasa_api.tracker(visitor.session_id)
    assert not any(event["event"] == "restart" for event in tracker["events"])
    assert tracker["slots"]["order_id"] == "61234"
    assert [e["text"] for e in user_events(tracker)][-1] == SLASH_COMMAND_GUARD + "/restart"


@pytest.mark.parametrize(
    ("event", "payload", "detail"),
    [
        ("user_uttered", "just a string", "user_uttered: expected a JSON object"),
        ("user_uttered", ["a", "list"], "user_uttered: expected a JSON object"),
        ("user_uttered", {"message": 12345}, "user_uttered: 'message' must be text"),
        ("user_uttered", {"text": "hello"}, "user_uttered: 'message' is missing"),
        ("user_uttered", {"message": "hi", "client_message_id": 7},
         "user_uttered: 'client_message_id' must be str"),
        ("session_request", {"last_seq": -1}, "session_request: 'last_seq' must be at least 0"),
        ("session_request", {"user": {"id": "u"}}, "session_request: 'user' needs 'id' and 'hash'"),
        ("typing", {"typing": "yes"}, "typing: 'typing' must be bool"),
        ("history_request", {"limit": 1000}, "history_request: 'limit' must be between 1 and 200"),
        ("rating", {"score": 9}, "rating: 'score' must be between 1 and 5"),
        ("rating", {"score": True}, "rating: 'score' must be int"),
    ],
)  # fmt: skip
async def test_malformed_payloads_get_an_error_event_and_the_socket_keeps_working(
    visitor, event, payload, detail
):
    await visitor.client.emit(event, payload)
    error = await visitor.next_event("error")
    assert error["error"] == "invalid_payload"
    assert error["detail"] == detail
    assert await visitor.say("hello")


async def test_messages_before_a_session_or_naming_another_session_are_refused(
    stack, visitor, transcript
):
    stranger = Visitor(stack.config.gateway_urls[0])
    await stranger.client.connect(stranger.url, transports=["websocket"])
    try:
        await stranger.send({"message": "hello"})
        assert (await stranger.next_event("error"))["error"] == "no_session"
        await stranger.connect()  # a session of its own, on the same socket
        await stranger.send({"message": "write into theirs", "session_id": visitor.session_id})
        assert (await stranger.next_event("error"))["error"] == "wrong_session"
    finally:
        await stranger.close()
    assert await transcript.all(visitor.session_id) == []
