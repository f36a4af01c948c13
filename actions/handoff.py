"""Bringing a named person into the conversation, offering to, and taking it back.

The handoff core (routing, queue, packet) is in bot/handoff/; these actions decide
when, tell the customer who and why, and pause the bot (``ConversationPaused``)
while people own the conversation.
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import YES_NO, say
from actions.restatement import restate
from actions.services import business_rules, case_records, frustration_meter, handoff_desk
from actions.tracker_reading import (
    complaint_details,
    customer_key,
    latest_entity_values,
    latest_intent,
    open_categories,
    signals,
)
from bot.case_records import HandoffRequest, utc_now
from bot.conversations import earlier_conversations
from bot.frustration import still_rising_after_attempts
from bot.handoff import announcements
from bot.handoff.desk import handoff_agent
from bot.handoff.packet import build_packet, customer_told_more
from bot.inbox import QUEUE_CARRY_ON, QUEUE_EMAIL, QUEUE_WAIT
from bot.message_reading import categories_beside_person_request

DomainDict = dict[str, Any]

OFFER_PHRASES = {
    "venting": "offer_human_after_venting",
    "repeated_misunderstanding": "offer_human_after_fallbacks",
    "repeated_correction": "offer_human_after_corrections",
    "beyond_authority": "offer_human_beyond_authority",
    "other_language": "offer_human_other_language",
}
"""Why a person was offered, and how the offer is worded."""


QUEUE_CHOICES = [
    {"title": "I'll wait", "payload": QUEUE_WAIT},
    {"title": "Leave my email", "payload": QUEUE_EMAIL},
    {"title": "Carry on with the assistant", "payload": QUEUE_CARRY_ON},
]
"""What a customer can do while nobody is free (the gateway handles the choice: the bot
is paused once the conversation is queued)."""


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    trigger: str,
    reason: str,
    customer_ask: str | None = None,
    repeat_ask: bool = False,
    categories: list[str] | None = None,
) -> list[EventType]:
    """Hand the conversation to a named person, with the packet, and pause the bot.

    Routing picks the person (bot/handoff/routing.py); the customer is told who and
    why (the chat is reserved for that person for a while: bot/ownership.py), or,
    when nobody is free, the one queue line for the situation (busy, away until a
    time, nobody online) and what they can do meanwhile. ``customer_ask`` (what the
    customer would consider fair) goes with the request; with ``repeat_ask`` it is also
    read back, which suits a recognised fix ("refund $80"), not free text.
    ``categories`` (default: the open complaint's) are what the request is about.
    """
    desk = handoff_desk()
    session_id = tracker.sender_id
    categories = categories if categories is not None else open_categories(tracker)
    key = customer_key(tracker)
    held = await desk.hold_back_if_flooding(session_id, key)
    if held is not None:
        # Not queued: the bot carries on, and the customer knows why nobody will come.
        text = announcements.held_back(held.source, held.open_requests)
        dispatcher.utter_message(text=text, phrase="handoff_held_back")
        return []
    routed = await desk.route(categories[0] if categories else None, key)
    rules = business_rules()
    packet = build_packet(
        session_id=session_id,
        customer_key=key,
        events=list(tracker.events),
        transcript=await desk.transcript.all(session_id),
        trigger=trigger,
        reason=reason,
        customer_ask=customer_ask,
        categories=categories,
        category_names={cid: category.name for cid, category in rules.categories.items()},
        earlier=await earlier_conversations(desk.client, key, session_id),
        meter=frustration_meter(),
        routed_to=routed.agent.public() if routed.agent else None,
    )
    transition = await desk.queue_conversation(
        session_id,
        routed,
        {
            "packet": json.dumps(packet.to_json()),
            "summary": packet.summary,
            "category": packet.category or "",
            "customer_key": key,
            "trigger": trigger,
            "reason": reason,
        },
    )
    # complaint_open stays as it is: a complaint handed over is still open (if the
    # customer carries on with the bot, it picks the complaint up again).
    handed_off: list[EventType] = [SlotSet("dialogue_stage", "handed_off"), ConversationPaused()]
    if not transition.ok:
        say(dispatcher, "already_with_people")
        return handed_off
    await case_records().save_handoff_request(
        HandoffRequest(
            session_id=session_id,
            customer_key=key,
            trigger=trigger,
            reason=reason,
            categories=categories,
            order_id=complaint_details(tracker).order_id,
            customer_ask=customer_ask,
            requested_at=utc_now().isoformat(),
        )
    )
    place = await desk.queue_place(session_id)
    position, wait = (place.position, place.wait_seconds) if place else (1, None)
    ask = (
        f"I've noted that you'd consider it fair if we {customer_ask}. "
        if (customer_ask and repeat_ask)
        else ""
    )
    # The bot's message says it all (one queue line, once in the transcript): the
    # handoff entry only moves the visitor's header, so it carries no text of its own.
    state: dict[str, Any] = {"state": "queued", "position": position, "wait_seconds": wait}
    if routed.agent and routed.decision:
        # "… can see everything you've told me" only when there is something to see.
        history = bool(categories) or customer_told_more(list(tracker.events))
        text = ask + announcements.passing_to(routed.agent, routed.decision.reason, history)
        state["agent"] = handoff_agent(routed.agent)
        dispatcher.utter_message(text=text, phrase="handoff_passing")
    else:
        back_at = place.back_at if place else desk.team_back_at()
        text = ask + announcements.nobody_free(position, wait, back_at)
        dispatcher.utter_message(text=text, buttons=QUEUE_CHOICES, phrase="handoff_queued")
    dispatcher.utter_message(json_message={"handoff": state})
    return handed_off


async def hand_off_if_frustration_rising(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType] | None:
    """Hand off when the customer grows more upset despite the bot's attempts."""
    if not still_rising_after_attempts(list(tracker.events), frustration_meter()):
        return None
    return await hand_off(
        dispatcher,
        tracker,
        trigger="frustration_rising",
        reason="the customer's frustration kept rising after the assistant's attempts",
    )


def offer_human(dispatcher: CollectingDispatcher, tracker: Tracker, why: str) -> list[EventType]:
    """Ask whether the customer wants a person (Yes/No buttons); ``affirm`` then hands off."""
    say(dispatcher, OFFER_PHRASES[why], buttons=YES_NO)
    return [
        SlotSet("human_offer_reason", why),
        SlotSet("dialogue_stage", "human_offered"),
    ]


class ActionHandOff(Action):
    """The customer asked for a person, or accepted the offer of one."""

    def name(self) -> str:
        return "action_hand_off"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        found = signals(tracker)
        if found.get("abuse"):
            say(dispatcher, "abuse_boundary_before_handoff")
        raised = complaint_alongside_request(tracker)
        stage = tracker.get_slot("dialogue_stage")
        ask = None
        if stage == "human_offered" and latest_intent(tracker) != "request_human":
            why = tracker.get_slot("human_offer_reason") or "offer"
            trigger = f"accepted_offer_after_{why}"
            reason = f"the customer accepted the offer of a person ({why.replace('_', ' ')})"
            ask = tracker.get_slot("pending_ask") if why == "beyond_authority" else None
        elif stage == "fair_ask_requested":
            trigger = "no_fair_fix_agreed"
            reason = "the customer turned down the proposed fix and named no alternative"
        else:
            trigger = "customer_request"
            reason = "the customer asked for a person"
        handed = await hand_off(
            dispatcher,
            tracker,
            trigger,
            reason,
            customer_ask=ask,
            repeat_ask=ask is not None,
            categories=raised or None,
        )
        opened: list[EventType] = (
            [SlotSet("complaint_categories", raised), SlotSet("complaint_open", True)]
            if raised
            else []
        )
        return [*opened, *handed]


def complaint_alongside_request(tracker: Tracker) -> list[str]:
    """The categories of a complaint made in the same message as the request for a person
    ("my order is late, get me a human"), when no complaint is open yet: it goes with
    the handoff."""
    if open_categories(tracker):
        return []
    return categories_beside_person_request(
        signals(tracker), latest_entity_values(tracker, "problem"), business_rules().categories
    )


class ActionContinueWithBot(Action):
    """The customer declined a person: carry on with the open complaint, if any."""

    def name(self) -> str:
        return "action_continue_with_bot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        say(dispatcher, "continue_with_bot")
        events: list[EventType] = [SlotSet("human_offer_reason", None)]
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return [*events, SlotSet("dialogue_stage", None)]
        restate(dispatcher, business_rules(), categories, complaint_details(tracker))
        return [*events, SlotSet("dialogue_stage", "complaint_restated")]


class ActionResumeAfterHandoff(Action):
    """People handed the conversation back (or the customer stopped waiting): pick up
    at the resume point the gateway set in ``resume_point``."""

    def name(self) -> str:
        return "action_resume_after_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        point = tracker.get_slot("resume_point")
        events: list[EventType] = [
            SlotSet("resume_point", None),
            SlotSet("human_offer_reason", None),
        ]
        if point == "resolved":
            say(dispatcher, "resume_resolved")
            return [
                *events,
                SlotSet("complaint_open", False),
                SlotSet("dialogue_stage", "resolved"),
            ]
        if point == "carry_on":
            say(dispatcher, "resume_carry_on")
            categories = open_categories(tracker)
            if categories:
                restate(dispatcher, business_rules(), categories, complaint_details(tracker))
                return [
                    *events,
                    SlotSet("complaint_open", True),
                    SlotSet("dialogue_stage", "complaint_restated"),
                ]
            dispatcher.utter_message(response="utter_ask_what_happened")
            return [*events, SlotSet("dialogue_stage", None)]
        say(dispatcher, "resume_continue")
        return [*events, SlotSet("complaint_open", False), SlotSet("dialogue_stage", None)]
