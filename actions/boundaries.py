"""Abuse aimed at the staff or the bot: one calm boundary, then a civil end.

The first insult gets one boundary line, and the bot carries on with the open request
(the question it was waiting on is asked again). Repeated abuse ends the chat civilly:
the open complaint is kept on record with the reason, and the customer can still
reach a person with one button.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint import ActionAcknowledgeComplaint
from actions.complaint_reading import details_after, raised_categories
from actions.phrasing import YES_NO, say
from actions.questions import repeat_options
from actions.restatement import restate
from actions.services import business_rules, case_records
from actions.tracker_reading import complaint_details, customer_key, open_categories
from bot.case_records import HandoffRequest, utc_now
from bot.complaints import restate_complaint

DomainDict = dict[str, Any]

WARNINGS_BEFORE_ENDING = 1
"""Insults met with a boundary line before the next one ends the chat."""
TALK_TO_A_PERSON = [{"title": "Talk to a person", "payload": "/request_human"}]


class ActionSetBoundary(Action):
    """An insult at the staff or the bot."""

    def name(self) -> str:
        return "action_set_boundary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        warnings = int(tracker.get_slot("abuse_warnings") or 0)
        if warnings >= WARNINGS_BEFORE_ENDING:
            return await end_civilly(dispatcher, tracker)
        say(dispatcher, "abuse_boundary")
        counted: list[EventType] = [SlotSet("abuse_warnings", warnings + 1)]
        if raised_categories(tracker, business_rules()):
            # "your staff are idiots. my boots are 10 days late": the complaint is heard.
            events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)
            categories = next(e["value"] for e in events if e.get("name") == "complaint_categories")
            restate(dispatcher, business_rules(), categories, details_after(tracker, events))
            return [*counted, *events, SlotSet("dialogue_stage", "complaint_restated")]
        carry_on(dispatcher, tracker)
        return counted


def carry_on(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Ask again whatever the bot was waiting on, so the customer can go on."""
    rules = business_rules()
    categories = open_categories(tracker)
    stage = tracker.get_slot("dialogue_stage")
    if categories and stage in {"complaint_restated", "correcting"}:
        restate(dispatcher, rules, categories, complaint_details(tracker))
    elif categories and stage in {"fix_proposed", "fair_ask_requested"}:
        repeat_options(dispatcher, tracker, categories[0])
    elif stage == "human_offered":
        say(dispatcher, "ask_again_about_person", buttons=YES_NO)
    else:
        say(dispatcher, "invite_complaint")


async def end_civilly(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """End the chat politely; the open complaint stays on record with the reason."""
    rules = business_rules()
    categories = open_categories(tracker)
    details = complaint_details(tracker)
    await case_records().save_handoff_request(
        HandoffRequest(
            session_id=tracker.sender_id,
            customer_key=customer_key(tracker),
            trigger="ended_after_abuse",
            reason="the customer kept insulting the staff after one warning; "
            "the open request is kept for a colleague",
            categories=categories,
            order_id=details.order_id,
            customer_ask=None,
            requested_at=utc_now().isoformat(),
        )
    )
    request = (
        f"Your request about {restate_complaint(rules, categories, details)} stays open"
        if categories
        else "Anything you've told me stays on record"
    )
    say(dispatcher, "abuse_end", request=request, buttons=TALK_TO_A_PERSON)
    return [SlotSet("dialogue_stage", "ended_after_abuse")]
