"""When a part of the stack fails, the visitor hears so honestly and nothing is lost."""

from __future__ import annotations

import pytest

from bot.gateway.forwarder import NO_REPLY_NOTICE
from tests.e2e.visitor import user_events

pytestmark = pytest.mark.stack


async def test_with_the_action_server_down_the_visitor_is_told_and_the_message_kept(
    stack, visitor, rasa_api
):
    assert await visitor.say("hello")
    stack.stop_part("actions")
    try:
        replies = await visitor.say("my parcel never arrived")
        assert replies == [NO_REPLY_NOTICE]
        notice = [data for event, data in visitor.received if event == "bot_uttered"][-1]
        assert notice["sender"] == {"kind": "system"}
        events = user_events(await rasa_api.tracker(visitor.session_id))
        assert events[-1]["text"] == "my parcel never arrived"
    finally:
        stack.start_action_server()

    replies = await visitor.say("my order 48213 still hasn't arrived")
    assert len(replies) == 2 and "#48213" in replies[1]
