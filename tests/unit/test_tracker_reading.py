"""actions/tracker_reading.py: who the customer is, as the gateway said."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.tracker_reading import customer_key
from bot.chat_ids import anonymous_customer_key
from tests.unit.builders import entity, make_tracker, user_event


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


def test_a_key_naming_a_session_id_reaches_the_packet_as_its_chat_id():
    """Keys written before chat ids existed were ``visitor:<session id>``."""
    session_id = "A" * 22 + "." + "B" * 22
    old = user_event("greet") | {"metadata": {"customer_key": f"visitor:{session_id}"}}

    key = customer_key(tracker_with([old]))

    assert key == anonymous_customer_key(session_id)
    assert session_id not in key


def test_a_session_id_as_the_conversation_id_reaches_the_packet_as_its_chat_id():
    session_id = "A" * 22 + "." + "B" * 22
    tracker = make_tracker(sender_id=session_id)

    assert customer_key(tracker) == anonymous_customer_key(session_id)


def test_without_a_key_from_the_gateway_the_conversation_id_is_the_customer():
    assert customer_key(tracker_with([user_event("greet")])) == "session-7"
    blank = user_event("greet") | {"metadata": {"customer_key": ""}}
    assert customer_key(tracker_with([blank])) == "session-7"


def test_the_amount_in_question_is_the_slot_else_the_amount_said_in_the_latest_message():
    from actions.tracker_reading import amount_in_question

    text = "issue it now, it was $29"
    said_now = make_tracker("propose_resolution", text, entities=[entity("amount", "$29")])
    assert amount_in_question(said_now) == 29.0
    said_before = make_tracker(
        "propose_resolution", text, entities=[entity("amount", "$29")], slots={"amount": "$12"}
    )
    assert amount_in_question(said_before) == 12.0
    assert amount_in_question(make_tracker("propose_resolution", "refund me")) is None
