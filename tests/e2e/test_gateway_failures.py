"""Rasa slow, Rasa killed, a gateway killed: the visitor is told, nothing is lost.

These tests stop and restart parts of the shared stack; each puts it back.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.gateway.forwarder import STILL_HERE_NOTICE
from bot.stack import Stack
from tests.e2e.visitor import Visitor, user_events

pytestmark = pytest.mark.stack


@contextmanager
def frozen(stack: Stack, name: str) -> Iterator[None]:
    """The part stops answering (SIGSTOP) until the block ends: a hung server."""
    group = stack.process(name).process.pid
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


def bot_messages(visitor: Visitor) -> list[dict]:
    return [data for event, data in visitor.entries() if event == "bot_uttered"]


async def test_a_slow_rasa_gets_an_honest_notice_within_seconds_then_the_answer(
    stack, visitor, rasa_api
):
    await visitor.say("hello")
    loop = asyncio.get_running_loop()
    with frozen(stack, "rasa"):
        sent = loop.time()
        await visitor.send({"message": "my order 48213 never arrived", "client_message_id": "s"})
        notice = await visitor.next_event("bot_uttered", timeout=10)
        assert loop.time() - sent < 6
        assert notice["text"] == STILL_HERE_NOTICE and notice["sender"] == {"kind": "system"}
    replies = await visitor.bot_turn(timeout=60)
    assert any("#48213" in text for text in replies)
    texts = [event["text"] for event in user_events(await rasa_api.tracker(visitor.session_id))]
    assert texts.count("my order 48213 never arrived") == 1


async def test_rasa_killed_mid_conversation_loses_nothing(stack, visitor, rasa_api):
    await visitor.say("my kettle from order 48213 arrived smashed")
    stack.kill_part("rasa")
    try:
        await visitor.send({"message": "yes, that's right", "client_message_id": "k"})
        ack = await visitor.next_event("message_ack")
        notice = await visitor.next_event("bot_uttered", timeout=10)
        assert notice["text"] == STILL_HERE_NOTICE
        # A second message while Rasa is down waits its turn behind the first.
        await visitor.send({"message": "hello? are you there?", "client_message_id": "k2"})
        await visitor.next_event("message_ack")
    finally:
        await asyncio.get_running_loop().run_in_executor(None, stack.start_rasa)

    answers = []
    while len(answers) < 2:  # one bot turn per message, in order
        answers.append(await visitor.bot_turn(timeout=60))
    assert answers[0] and answers[1]
    tracker = await rasa_api.tracker(visitor.session_id)
    texts = [event["text"] for event in user_events(tracker)]
    assert texts == [
        "my kettle from order 48213 arrived smashed",
        "yes, that's right",
        "hello? are you there?",
    ]
    assert tracker["slots"]["dialogue_stage"] != "complaint_restated"  # the "yes" was taken
    seqs = [data["seq"] for _, data in visitor.entries()]
    assert seqs == sorted(set(seqs)) and ack["seq"] in seqs


async def test_a_killed_gateway_loses_nothing_and_the_visitor_continues_on_the_other(
    stack, visitors, gateway_urls, rasa_api
):
    visitor = Visitor(gateway_urls[0])
    visitors.append(visitor)
    await visitor.connect()
    await visitor.say("my lamp from order 61234 arrived damaged")
    dying_port = stack.config.gateway_ports[0]
    try:
        with frozen(stack, "rasa"):
            # The message is accepted, then its gateway dies before the bot answers.
            await visitor.send({"message": "yes, exactly", "client_message_id": "g"})
            await visitor.next_event("message_ack")
            stack.kill_part(f"gateway-{dying_port}")
        await visitor.client.disconnect()

        moved = Visitor(gateway_urls[1])
        visitors.append(moved)
        await moved.connect(session_id=visitor.session_id, last_seq=visitor.last_seq)
        assert moved.session_id == visitor.session_id
        # The other gateway finds the unanswered message and gets the bot's answer.
        replies = await moved.bot_turn(timeout=60)
        assert replies
        assert await moved.say("thanks")
    finally:
        await asyncio.get_running_loop().run_in_executor(None, stack.start_gateway, dying_port)

    texts = [event["text"] for event in user_events(await rasa_api.tracker(visitor.session_id))]
    assert texts == ["my lamp from order 61234 arrived damaged", "yes, exactly", "thanks"]
    seqs = [data["seq"] for _, data in visitor.entries()] + [
        data["seq"] for _, data in moved.entries()
    ]
    assert seqs == list(range(1, max(seqs) + 1))
