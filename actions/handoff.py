"""Bringing a person into the conversation, and offering to.

The hand-over itself (agents, routing, history) comes with the handoff issue;
here the request is recorded with its reason and the customer is told honestly
what happens next.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import say
from actions.services import business_rules, case_records
from actions.tracker_reading import complaint_details, customer_key, open_categories
from bot.case_records import HandoffRequest, utc_now
from bot.complaints import restate_complaint

DomainDict = dict[str, Any]

OFFER_PHRASES = {
    "venting": "offer_human_after_venting",
    "repeated_misunderstanding": "offer_human_after_fallbacks",
}
"""Why a person was offered, and how the offer is worded."""


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    trigger: str,
    reason: str,
    customer_ask: str | None = None,
    repeat_ask: bool = False,
) -> list[EventType]:
    """Record a handoff request and tell the customer what happens next.

    ``customer_ask`` (what the customer would consider fair) goes with the
    request; with ``repeat_ask`` it is also read back to the customer, which
    suits a recognised fix ("refund $80"), not free text.
    """
    request = HandoffRequest(
        session_id=tracker.sender_id,
        customer_key=customer_key(tracker),
        trigger=trigger,
        reason=reason,
        categories=open_categories(tracker),
        order_id=complaint_details(tracker).order_id,
        customer_ask=customer_ask,
        requested_at=utc_now().isoformat(),
    )
    await case_records().save_handoff_request(request)
    reason_sentence = (
        f"I've noted that you'd consider it fair if we {customer_ask}. "
        if customer_ask and repeat_ask
        else ""
    )
    say(
        dispatcher,
        "handoff_requested",
        reply_time=business_rules().human_reply_time,
        reason_sentence=reason_sentence,
    )
    return [SlotSet("complaint_open", False), SlotSet("dialogue_stage", "handed_off")]


def offer_human(dispatcher: CollectingDispatcher, tracker: Tracker, why: str) -> list[EventType]:
    """Ask whether the customer wants a person; ``affirm`` then hands off."""
    say(dispatcher, OFFER_PHRASES[why])
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
        stage = tracker.get_slot("dialogue_stage")
        if stage == "human_offered":
            why = tracker.get_slot("human_offer_reason") or "offer"
            trigger = f"accepted_offer_after_{why}"
            reason = f"the customer accepted the offer of a person ({why.replace('_', ' ')})"
        elif stage == "fair_ask_requested":
            trigger = "no_fair_fix_agreed"
            reason = "the customer turned down the proposed fix and named no alternative"
        else:
            trigger = "customer_request"
            reason = "the customer asked for a person"
        return await hand_off(dispatcher, tracker, trigger, reason)


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
        summary = restate_complaint(business_rules(), categories, complaint_details(tracker))
        say(dispatcher, "restate_complaint", summary=summary)
        return [*events, SlotSet("dialogue_stage", "complaint_restated")]
