"""Every entry reaches every socket of its conversation once, in order, on any gateway."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.retention import RetentionPolicy
from tests.e2e.visitor import Visitor

pytestmark = pytest.mark.stack


def seqs(visitor: Visitor) -> list[int]:
    return [data["seq"] for _, data in visitor.entries()]


async def test_a_reconnecting_visitor_gets_what_it_missed_once_and_in_order(
    open_visitor, gateway_urls, transcript
):
    tab = await open_visitor(gateway_urls[0])
    await tab.say("my order 48213 never arrived")
    seen = tab.last_seq
    await tab.close()

    # While it is away, another tab of the same conversation carries on.
    other_tab = await open_visitor(gateway_urls[1], session_id=tab.session_id, last_seq=seen)
    missed_replies = await other_tab.say("yes, that's right")
    assert missed_replies

    back = await open_visitor(gateway_urls[0], session_id=tab.session_id, last_seq=seen)
    newest = await transcript.last_seq(tab.session_id)
    await back.wait_for_seq(newest)
    assert seqs(back) == list(range(seen + 1, newest + 1))
    replayed_texts = [data["text"] for event, data in back.entries() if event == "bot_uttered"]
    assert replayed_texts == missed_replies

    # Live entries follow on without a gap or a repeat.
    assert await back.say("a refund would be fair")
    assert seqs(back) == list(range(seen + 1, back.last_seq + 1))
    recorded = await transcript.after(tab.session_id, seen)
    assert [entry.seq for entry in recorded] == seqs(back)


async def test_a_message_on_one_gateway_reaches_the_tab_on_the_other(open_visitor, gateway_urls):
    first = await open_visitor(gateway_urls[0])
    second = await open_visitor(
        gateway_urls[1], session_id=first.session_id, last_seq=first.last_seq
    )

    replies = await first.say("my parcel arrived damaged")
    await second.wait_for_seq(first.last_seq)

    assert [(e, d["seq"]) for e, d in second.entries()] == [
        (e, d["seq"]) for e, d in first.entries()
    ]
    echoed = [d["text"] for e, d in second.entries() if e == "visitor_uttered"]
    assert echoed == ["my parcel arrived damaged"]
    assert [d["text"] for e, d in second.entries() if e == "bot_uttered"] == replies


async def test_visitors_on_two_gateways_hold_their_own_conversations_at_once(
    open_visitor, gateway_urls
):
    left = await open_visitor(gateway_urls[0])
    right = await open_visitor(gateway_urls[1])

    left_replies, right_replies = await asyncio.gather(
        left.say("my order 11111 never arrived"), right.say("my order 22222 arrived damaged")
    )

    assert any("#11111" in text for text in left_replies)
    assert any("#22222" in text for text in right_replies)
    assert not any("22222" in str(data) for _, data in left.received)
    assert not any("11111" in str(data) for _, data in right.received)


async def test_history_pages_backwards_through_the_transcript(visitor):
    for text in ("hello", "my order 48213 never arrived", "yes"):
        await visitor.say(text)
    newest = visitor.last_seq

    page = await visitor.history(limit=2)
    assert [entry["data"]["seq"] for entry in page["entries"]] == [newest - 1, newest]
    assert page["has_more"] is True
    older = await visitor.history(before_seq=newest - 1, limit=200)
    assert [entry["data"]["seq"] for entry in older["entries"]] == list(range(1, newest - 1))
    assert older["has_more"] is False
    assert older["entries"][0] == {
        "event": "visitor_uttered",
        "data": next(data for event, data in visitor.entries() if data["seq"] == 1),
    }


async def test_a_rating_is_stored_with_the_conversation_for_its_retention(visitor, stack):
    await visitor.say("hello")
    await visitor.client.emit("rating", {"score": 4, "comment": "quick <b>and</b> kind"})
    assert await visitor.next_event("rating_saved") == {"score": 4}
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        stored = await client.hgetall(redis_keys.rating_key(visitor.session_id))
        kept_for = await client.ttl(redis_keys.rating_key(visitor.session_id))
    finally:
        await client.close()
    assert stored["score"] == "4" and stored["comment"] == "quick <b>and</b> kind"
    rating_retention = RetentionPolicy().seconds("rating")  # the stack runs the defaults
    assert rating_retention - 60 < kept_for <= rating_retention


async def test_visitor_typing_is_passed_on_for_agents_without_repeats(visitor, stack):
    client = redis.Redis.from_url(stack.redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(redis_keys.CONVERSATION_EVENTS_CHANNEL)
    try:
        for typing in (True, True, True, False, False):
            await visitor.client.emit("typing", {"typing": typing})
        await visitor.history(limit=1)  # the typing events above have been handled
        passed_on = []
        deadline = asyncio.get_running_loop().time() + 1.5
        while asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(timeout=0.2)
            if message is None:
                continue
            event = json.loads(message["data"])
            if event["session_id"] == visitor.session_id and event["type"] == "live":
                passed_on.append((event["event"], event["audience"], event["payload"]))
    finally:
        await pubsub.close()
        await client.close()
    assert passed_on == [
        ("visitor_typing", "agents", {"typing": True}),
        ("visitor_typing", "agents", {"typing": False}),
    ]
    # Agents' events never reach the visitor's own sockets.
    assert not any(event == "visitor_typing" for event, _ in visitor.received)


async def test_a_message_resent_after_a_reconnect_is_recorded_and_answered_once(
    open_visitor, gateway_urls, transcript
):
    """The widget resends a message whose ack it never saw (the connection dropped); the
    server acks the resend with the first copy's seq and records nothing new."""
    tab = await open_visitor(gateway_urls[0])
    message = {"message": "my parcel arrived damaged", "client_message_id": "resend-1"}
    await tab.send(message)
    first_ack = await tab.next_event("message_ack")
    assert await tab.bot_turn()
    recorded = await transcript.last_seq(tab.session_id)

    # The same message again, from a new connection on the other gateway.
    again = await open_visitor(gateway_urls[1], session_id=tab.session_id, last_seq=recorded)
    await again.send(message)
    assert await again.next_event("message_ack") == first_ack
    await asyncio.sleep(1.0)  # an answer to a second copy would have come by now

    assert await transcript.last_seq(tab.session_id) == recorded
    texts = [entry.text for entry in await transcript.all(tab.session_id)]
    assert texts.count("my parcel arrived damaged") == 1
    assert not [event for event, _ in again.entries()]
