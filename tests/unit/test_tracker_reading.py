"""actions/tracker_reading.py: who the customer is, as the gateway said."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.tracker_reading import customer_key
from tests.unit.builders import make_tracker, user_event


def tracker_with(events: list[dict]) -> Tracker:
    base = make_tracker(sender_id="session-7")
    return Tracker(
        sender_id=base.sender_id,
        slots={},
        latest_message=base.latest_message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_the_customer_key_comes_from_the_latest_user_messages_metadata():
    earlier = user_event("greet") | {"metadata": {"customer_key": "visitor:session-7"}}
    latest = user_event("inform") | {"metadata": {"customer_key": "user:cust-1001"}}
    bot_turn = {"event": "bot", "text": "hi"}

    assert customer_key(tracker_with([earlier, latest, bot_turn])) == "user:cust-1001"


def test_without_a_key_from_the_gateway_the_conversation_id_is_the_customer():
    assert customer_key(tracker_with([user_event("greet")])) == "session-7"
    blank = user_event("greet") | {"metadata": {"customer_key": ""}}
    assert customer_key(tracker_with([blank])) == "session-7"
