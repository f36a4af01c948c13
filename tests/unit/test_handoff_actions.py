"""actions/handoff.py: handing off to people (nobody online here), resuming after them,
and carrying on when the customer declines. Routing to a named agent who is online:
test_handoff_routing_actions.py."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import (
    ActionAcknowledgeComplaint,
    ActionAskWhatWasMissed,
    ActionAskWhatWouldBeFair,
    ActionProposeFix,
    ActionRestateComplaint,
    ActionStateLimits,
)
from actions.handoff import ActionContinueWithBot, ActionHandOff, ActionResumeAfterHandoff
from actions.phrasing import phrasebook
from actions.resolution import ActionAcceptProposedFix
from actions.struggle import ActionHandleNluFallback, ActionRespondToVent
from bot.agents.presence import Presence
from bot.business import DEFAULT_BUSINESS_FILE, load_business_rules
from bot.case_records import CaseRecords
from bot.chat_ids import ChatIds, chat_id
from bot.handoff import announcements
from bot.handoff.queue import HandoffQueue
from bot.inbox import QUEUE_CARRY_ON, QUEUE_EMAIL, QUEUE_WAIT, RESUME_POINTS
from bot.ownership import QUEUED, owner_of
from tests.unit.builders import (
    Conversation,
    bot_event,
    entity,
    make_tracker,
    slot_events,
    texts,
    user_event,
)

RULES = load_business_rules(DEFAULT_BUSINESS_FILE)
PAUSE = {"event": "pause", "timestamp": None}
"""rasa_sdk's ConversationPaused(): the bot stays silent while people own the chat."""

pytestmark = pytest.mark.usefixtures("during_business_hours")


@pytest.fixture(autouse=True)
def demo_roster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handoffs go to the demo agents, whom the actions read only in demo mode."""
    monkeypatch.delenv("AGENTS_FILE", raising=False)
    monkeypatch.setenv("DEMO_MODE", "1")


def handoff_states(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """The ``{"handoff": …}`` json messages the action sent (for the widget)."""
    return [
        message["custom"]["handoff"]
        for message in dispatcher.messages
        if "handoff" in (message.get("custom") or {})
    ]


# --- handing off ---------------------------------------------------------------------


async def test_asking_for_a_person_records_the_request_with_the_complaint(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "request_human",
        "let me talk to a real person",
        slots={
            "complaint_open": True,
            "complaint_categories": ["damaged_item", "billing"],
            "order_id": "ORD-48213",
            "dialogue_stage": "complaint_restated",
        },
        sender_id="visitor-9",
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "customer_request"
    assert request.session_id == "visitor-9"
    assert request.customer_key == "visitor-9"
    assert request.categories == ["damaged_item", "billing"]
    assert request.order_id == "48213"
    assert request.customer_ask is None
    assert request.requested_at
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE


async def test_the_conversation_is_queued_with_its_packet(dispatcher, domain, redis_client):
    tracker = make_tracker(
        "request_human",
        "let me talk to a real person",
        slots={
            "complaint_open": True,
            "complaint_categories": ["damaged_item", "billing"],
            "order_id": "ORD-48213",
        },
        sender_id="visitor-9",
        # The packet reads the details from the tracker's slot events, as Rasa sends them.
        earlier_events=[{"event": "slot", "name": "order_id", "value": "ORD-48213"}],
    )

    await ActionHandOff().run(dispatcher, tracker, domain)

    queue = HandoffQueue(redis_client)
    assert await owner_of(redis_client, "visitor-9") == QUEUED
    assert await queue.session_ids() == ["visitor-9"]
    stored = await queue.handoff("visitor-9")
    assert stored["trigger"] == "customer_request"
    assert stored["category"] == "damaged_item"
    assert stored["customer_key"] == "visitor-9"
    assert stored["routed_to"] == ""
    packet = await queue.packet("visitor-9")
    assert packet is not None
    assert packet["version"] == 2
    assert packet["chat_id"] == chat_id("visitor-9") and "session_id" not in packet
    assert await ChatIds(redis_client).session_of(chat_id("visitor-9")) == "visitor-9"
    assert packet["trigger"] == "customer_request"
    assert packet["categories"] == ["damaged_item", "billing"]
    assert packet["entities"]["order_id"] == "48213"
    assert packet["routed_to"] is None
    assert stored["summary"] == packet["summary"]


async def test_with_nobody_online_the_customer_is_told_the_honest_next_step(
    dispatcher, domain, redis_client
):
    tracker = make_tracker("request_human", "human please")

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    announcement, state_message = dispatcher.messages
    text = announcement["text"]
    assert text == announcements.nobody_free(1, None)
    # Honest: one situation (open hours, nobody online), no invented wait, where they
    # stand, the options.
    assert "next in line" in text
    assert "can't promise a time" in text
    assert "busy" not in text
    assert announcement["phrase"] == "handoff_queued"
    assert "leave your email address" in text
    assert "carry on with me" in text
    assert [button["payload"] for button in announcement["buttons"]] == [
        QUEUE_WAIT,
        QUEUE_EMAIL,
        QUEUE_CARRY_ON,
    ]
    assert all(button["title"] for button in announcement["buttons"])
    assert state_message["text"] is None
    assert handoff_states(dispatcher) == [
        {
            "state": "queued",
            "position": 1,
            "wait_seconds": None,
        }
    ]
    assert events[-1] == PAUSE


async def test_the_place_in_the_queue_counts_those_waiting_before(domain, redis_client):
    for sender_id in ("visitor-1", "visitor-2"):
        await ActionHandOff().run(
            CollectingDispatcher(), make_tracker("request_human", sender_id=sender_id), domain
        )
    dispatcher = CollectingDispatcher()

    await ActionHandOff().run(dispatcher, make_tracker("request_human", sender_id="v-3"), domain)

    assert dispatcher.messages[0]["text"] == announcements.nobody_free(3, None)
    assert "number 3 in the queue" in dispatcher.messages[0]["text"]
    [state] = handoff_states(dispatcher)
    assert (state["position"], state["wait_seconds"]) == (3, None)
    assert await HandoffQueue(redis_client).session_ids() == ["visitor-1", "visitor-2", "v-3"]


async def test_asking_again_while_queued_is_answered_once_and_stays_paused(domain, redis_client):
    slots = {"complaint_open": True, "complaint_categories": ["billing"]}
    await ActionHandOff().run(
        CollectingDispatcher(), make_tracker("request_human", "a person", slots=slots), domain
    )
    packet_before = await HandoffQueue(redis_client).packet("visitor-1")
    dispatcher = CollectingDispatcher()
    # The first handoff closed the complaint; the customer asks again, louder.
    tracker = make_tracker(
        "request_human",
        "A PERSON, NOW",
        slots={**slots, "complaint_open": False, "dialogue_stage": "handed_off"},
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("already_with_people", text)
    assert handoff_states(dispatcher) == []
    assert all(not message["buttons"] for message in dispatcher.messages)
    assert events[-1] == PAUSE
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    queue = HandoffQueue(redis_client)
    assert await queue.session_ids() == ["visitor-1"]
    assert await queue.packet("visitor-1") == packet_before
    assert await owner_of(redis_client, "visitor-1") == QUEUED


async def test_asking_for_a_person_before_any_complaint_is_still_recorded(
    dispatcher, domain, redis_client
):
    await ActionHandOff().run(dispatcher, make_tracker("request_human"), domain)

    [request] = await CaseRecords(redis_client).handoff_requests("visitor-1")
    assert request.trigger == "customer_request"
    assert request.categories == []
    assert request.order_id is None
    packet = await HandoffQueue(redis_client).packet("visitor-1")
    assert packet is not None
    assert (packet["category"], packet["categories"]) == (None, [])


async def test_accepting_the_offer_after_venting_is_recorded_as_such(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        "yes please",
        slots={"dialogue_stage": "human_offered", "human_offer_reason": "venting"},
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "accepted_offer_after_venting"
    assert "venting" in request.reason
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE
    packet = await HandoffQueue(redis_client).packet("visitor-1")
    assert packet is not None
    assert packet["trigger"] == "accepted_offer_after_venting"


async def test_accepting_the_offer_after_misunderstandings_is_recorded_as_such(
    dispatcher, domain, redis_client
):
    tracker = make_tracker(
        "affirm",
        slots={
            "dialogue_stage": "human_offered",
            "human_offer_reason": "repeated_misunderstanding",
        },
    )

    await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "accepted_offer_after_repeated_misunderstanding"
    assert "repeated misunderstanding" in request.reason


async def test_no_fair_fix_agreed_is_recorded_as_such(dispatcher, domain, redis_client):
    tracker = make_tracker(
        "deny",
        "no",
        slots={
            "complaint_open": True,
            "complaint_categories": ["late_delivery"],
            "dialogue_stage": "fair_ask_requested",
        },
    )

    events = await ActionHandOff().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "no_fair_fix_agreed"
    assert request.categories == ["late_delivery"]
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE


# --- frustration that keeps rising ---------------------------------------------------

FURIOUS = "no, still wrong. this is useless and I am furious!!"
ANGRIER_AFTER_TWO_ATTEMPTS = [
    user_event("complain_late_delivery", "my parcel is late"),
    bot_event("acknowledge_complaint"),
    bot_event("restate_complaint"),
    user_event("deny", "that's not what I said. this is annoying"),
    bot_event("ask_to_rephrase"),
    user_event("complain_late_delivery", "WHERE IS MY ORDER?? third time asking!!!"),
    bot_event("restate_complaint"),
]
"""Two bot turns that tried to help, and each answer angrier than the last; the latest
message (FURIOUS) comes on top."""
CALMER_AFTER_TWO_ATTEMPTS = [
    user_event("complain_late_delivery", "WHERE IS MY ORDER?? third time asking!!!"),
    bot_event("restate_complaint"),
    user_event("deny", "that's not what I said. this is annoying"),
    bot_event("ask_to_rephrase"),
    user_event("inform", "ok, it's order 48213"),
    bot_event("restate_complaint"),
]
LATE_DELIVERY = {"complaint_open": True, "complaint_categories": ["late_delivery"]}

FRUSTRATION_CHECKPOINTS = [
    pytest.param(ActionRespondToVent, "vent", id="vent"),
    pytest.param(ActionHandleNluFallback, "nlu_fallback", id="nlu_fallback"),
    pytest.param(ActionAskWhatWasMissed, "deny", id="ask_what_was_missed"),
    pytest.param(ActionAskWhatWouldBeFair, "deny", id="ask_what_would_be_fair"),
]


@pytest.mark.parametrize(("action", "intent"), FRUSTRATION_CHECKPOINTS)
async def test_frustration_rising_after_two_attempts_hands_off(
    action, intent, dispatcher, domain, redis_client
):
    tracker = make_tracker(
        intent,
        FURIOUS,
        slots=LATE_DELIVERY,
        earlier_events=ANGRIER_AFTER_TWO_ATTEMPTS,
        sender_id="visitor-5",
    )

    events = await action().run(dispatcher, tracker, domain)

    [request] = await CaseRecords(redis_client).handoff_requests()
    assert request.trigger == "frustration_rising"
    assert request.session_id == "visitor-5"
    assert request.categories == ["late_delivery"]
    assert slot_events(events) == {"dialogue_stage": "handed_off"}
    assert events[-1] == PAUSE
    assert dispatcher.messages[0]["text"] == announcements.nobody_free(1, None)
    packet = await HandoffQueue(redis_client).packet("visitor-5")
    assert packet is not None
    assert packet["trigger"] == "frustration_rising"
    assert packet["frustration"]["direction"] == "rising"
    assert packet["frustration"]["latest"] >= 0.5


@pytest.mark.parametrize(("action", "intent"), FRUSTRATION_CHECKPOINTS)
async def test_a_customer_calming_down_is_not_handed_off(
    action, intent, dispatcher, domain, redis_client
):
    tracker = make_tracker(
        intent, "fine, go on", slots=LATE_DELIVERY, earlier_events=CALMER_AFTER_TWO_ATTEMPTS
    )

    events = await action().run(dispatcher, tracker, domain)

    assert await CaseRecords(redis_client).handoff_requests() == []
    assert PAUSE not in events
    assert handoff_states(dispatcher) == []
    assert await owner_of(redis_client, "visitor-1") != QUEUED


# --- resuming after people -----------------------------------------------------------

HANDED_BACK = {
    # A complaint handed over stays open until people settle it or hand it back.
    "complaint_open": True,
    "complaint_categories": ["wrong_item"],
    "product": "blue lamp",
    "dialogue_stage": "handed_off",
    "human_offer_reason": "venting",
}


def resuming(point: str | None, **slots: Any):
    return make_tracker("inform", "ok", slots={**HANDED_BACK, **slots, "resume_point": point})


@pytest.mark.parametrize("point", RESUME_POINTS)
async def test_every_resume_point_is_used_up(point, dispatcher, domain):
    events = await ActionResumeAfterHandoff().run(dispatcher, resuming(point), domain)

    slots = slot_events(events)
    assert slots["resume_point"] is None
    assert slots["human_offer_reason"] is None
    assert PAUSE not in events
    assert texts(dispatcher)[0]


async def test_resolved_by_people_is_closed_politely(dispatcher, domain):
    events = await ActionResumeAfterHandoff().run(dispatcher, resuming("resolved"), domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("resume_resolved", text)
    assert slot_events(events) == {
        "resume_point": None,
        "human_offer_reason": None,
        "complaint_open": False,
        "dialogue_stage": "resolved",
    }


@pytest.mark.parametrize("point", ["continue", None], ids=["continue", "no point given"])
async def test_continue_asks_what_else(point, dispatcher, domain):
    events = await ActionResumeAfterHandoff().run(dispatcher, resuming(point), domain)

    [text] = texts(dispatcher)
    assert phrasebook().matches("resume_continue", text)
    assert slot_events(events) == {
        "resume_point": None,
        "human_offer_reason": None,
        "complaint_open": False,
        "dialogue_stage": None,
    }


async def test_carrying_on_restates_the_complaint_that_was_handed_off(dispatcher, domain):
    events = await ActionResumeAfterHandoff().run(dispatcher, resuming("carry_on"), domain)

    carry_on, restated = texts(dispatcher)
    assert phrasebook().matches("resume_carry_on", carry_on)
    assert phrasebook().matches("restate_complaint", restated)
    assert "the wrong item instead of the blue lamp" in restated
    assert slot_events(events) == {
        "resume_point": None,
        "human_offer_reason": None,
        "complaint_open": True,
        "dialogue_stage": "complaint_restated",
    }


async def test_carrying_on_without_a_complaint_asks_what_happened(dispatcher, domain):
    tracker = resuming("carry_on", complaint_categories=None, product=None)

    events = await ActionResumeAfterHandoff().run(dispatcher, tracker, domain)

    assert phrasebook().matches("resume_carry_on", texts(dispatcher)[0])
    assert dispatcher.messages[1]["response"] == "utter_ask_what_happened"
    assert slot_events(events) == {
        "resume_point": None,
        "human_offer_reason": None,
        "dialogue_stage": None,
    }


async def test_carrying_on_does_not_reopen_a_complaint_already_resolved(domain, redis_client):
    # A resolved complaint, then a person asked for, then "Carry on with the
    # assistant": the settled complaint must not be restated or reopened.
    chat = Conversation(domain, sender_id="visitor-resolved")
    await chat.turn(
        "complain_billing",
        "you charged me $30 twice for order #48213",
        ActionAcknowledgeComplaint(),
        ActionRestateComplaint(),
        entities=[entity("order_id", "#48213"), entity("amount", "$30")],
    )
    await chat.turn("affirm", "yes", ActionStateLimits(), ActionProposeFix())
    await chat.turn("affirm", "yes, do that", ActionAcceptProposedFix())
    assert chat.slots["dialogue_stage"] == "resolved"
    await chat.turn("request_human", "can I talk to someone about my account", ActionHandOff())
    chat.slots["resume_point"] = "carry_on"

    said = await chat.act(ActionResumeAfterHandoff())

    assert not any(phrasebook().matches("restate_complaint", text) for text in said)
    assert chat.slots["complaint_open"] is not True


# --- declining a person --------------------------------------------------------------


async def test_declining_a_person_returns_to_the_open_complaint(dispatcher, domain):
    tracker = make_tracker(
        "deny",
        slots={
            "complaint_open": True,
            "complaint_categories": ["wrong_item"],
            "product": "blue lamp",
            "dialogue_stage": "human_offered",
            "human_offer_reason": "venting",
        },
    )

    events = await ActionContinueWithBot().run(dispatcher, tracker, domain)

    carry_on, restated = texts(dispatcher)
    assert phrasebook().matches("continue_with_bot", carry_on)
    assert phrasebook().matches("restate_complaint", restated)
    assert "the wrong item instead of the blue lamp" in restated
    assert slot_events(events) == {
        "human_offer_reason": None,
        "dialogue_stage": "complaint_restated",
    }


async def test_declining_a_person_with_no_complaint_asks_what_happened(dispatcher, domain):
    tracker = make_tracker(
        "deny", slots={"dialogue_stage": "human_offered", "human_offer_reason": "venting"}
    )

    events = await ActionContinueWithBot().run(dispatcher, tracker, domain)

    assert phrasebook().matches("continue_with_bot", texts(dispatcher)[0])
    assert dispatcher.messages[1]["response"] == "utter_ask_what_happened"
    assert slot_events(events) == {"human_offer_reason": None, "dialogue_stage": None}


async def test_on_saturday_one_message_says_when_the_team_is_back_in_its_time_zone(
    dispatcher, domain, redis_client, monkeypatch
):
    saturday_noon_in_new_york = datetime(2026, 3, 7, 17, 0, tzinfo=timezone.utc)
    monkeypatch.setattr("bot.handoff.desk._utc_now", lambda: saturday_noon_in_new_york)

    await ActionHandOff().run(dispatcher, make_tracker("request_human", "human please"), domain)

    announcement, state_message = dispatcher.messages
    text = announcement["text"]
    assert announcement["phrase"] == "handoff_queued"
    assert "back on Monday at 9:00 (New York time)" in text
    # One situation, said once: not "busy" and "nobody online" together, no weekday hours.
    assert "busy" not in text and "online" not in text
    assert "Monday to Friday" not in text
    assert text.count("next in line") == 1
    # The handoff entry moves the header only: the line is not recorded a second time.
    assert "text" not in state_message["custom"]["handoff"]


async def test_a_bare_request_for_a_person_is_not_told_the_agent_can_see_everything(
    dispatcher, domain, redis_client, client
):
    await Presence(client).heartbeat("tom")

    await ActionHandOff().run(dispatcher, make_tracker("request_human", "human please"), domain)

    announcement, _ = dispatcher.messages
    assert announcement["phrase"] == "handoff_passing"
    assert "I'm passing you to Tom" in announcement["text"]
    assert "can see everything" not in announcement["text"]


async def test_a_fourth_anonymous_chat_from_one_address_is_held_back_and_told_why(
    dispatcher, domain, redis_client
):
    """Issue 16, finding 1: anonymous conversations from one IP cannot fill the queue."""
    for number in range(1, 5):
        await redis_client.hset(f"session:flood-{number}", "client_ip", "198.51.100.77")
    for number in range(1, 4):
        await ActionHandOff().run(
            CollectingDispatcher(),
            make_tracker("request_human", sender_id=f"flood-{number}"),
            domain,
        )

    events = await ActionHandOff().run(
        dispatcher, make_tracker("request_human", sender_id="flood-4"), domain
    )

    assert events == []  # the bot is not paused: nobody will come to this chat
    (message,) = dispatcher.messages
    assert message["phrase"] == "handoff_held_back"
    assert message["text"] == announcements.held_back("ip", 3)
    assert await owner_of(redis_client, "flood-4") != QUEUED
    queued = await HandoffQueue(redis_client).entries()
    assert [entry.session_id for entry in queued] == ["flood-1", "flood-2", "flood-3"]
    assert all(entry.flood_held_back == 1 for entry in queued)
