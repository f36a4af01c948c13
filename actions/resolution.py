"""Agreeing a fix: accepting the bot's proposal or judging the customer's own ask."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off
from actions.phrasing import say
from actions.services import business_rules, case_records
from actions.tracker_reading import (
    complaint_details,
    customer_key,
    latest_entity_values,
    latest_text,
    open_categories,
)
from bot.case_records import ResolutionRecord, utc_now
from bot.complaints import describe_subject, judge_fair_ask

DomainDict = dict[str, Any]


async def confirm_resolution(
    dispatcher: CollectingDispatcher, tracker: Tracker, fix_text: str
) -> list[EventType]:
    """Record the agreed fix and confirm it with a summary and a reference."""
    rules = business_rules()
    records = case_records()
    details = complaint_details(tracker)
    reference = await records.next_reference(rules.reference_prefix)
    await records.save_resolution(
        ResolutionRecord(
            reference=reference,
            customer_key=customer_key(tracker),
            session_id=tracker.sender_id,
            categories=open_categories(tracker),
            order_id=details.order_id,
            fix=fix_text,
            within_authority=True,
            agreed_at=utc_now().isoformat(),
        )
    )
    say(
        dispatcher,
        "confirm_resolution",
        fix=fix_text,
        subject=describe_subject(details),
        reference=reference,
    )
    return [
        SlotSet("last_reference", reference),
        SlotSet("complaint_open", False),
        SlotSet("dialogue_stage", "resolved"),
    ]


class ActionAcceptProposedFix(Action):
    """The customer accepted the fix the assistant proposed."""

    def name(self) -> str:
        return "action_accept_proposed_fix"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return []
        fixes = business_rules().category(categories[0]).fixes
        proposed = tracker.get_slot("proposed_fix")
        fix = next((fix for fix in fixes if fix.id == proposed), fixes[0])
        return await confirm_resolution(dispatcher, tracker, fix.text)


class ActionEvaluateFairAsk(Action):
    """Grant what the customer considers fair if the assistant may; else hand off."""

    def name(self) -> str:
        return "action_evaluate_fair_ask"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return [SlotSet("dialogue_stage", None)]
        verdict = judge_fair_ask(
            rules,
            categories,
            latest_text(tracker),
            latest_entity_values(tracker, "amount"),
        )
        if verdict.within_authority:
            return await confirm_resolution(dispatcher, tracker, verdict.fix_text)
        if verdict.understood:
            return await hand_off(
                dispatcher,
                tracker,
                trigger="fair_ask_beyond_authority",
                reason=verdict.reason,
                customer_ask=verdict.fix_text,
                repeat_ask=True,
            )
        if tracker.get_slot("dialogue_stage") != "fair_ask_requested":
            examples = [fix.text for fix in rules.category(categories[0]).fixes][:2]
            say(dispatcher, "clarify_fair_ask", examples=" or ".join(examples))
            return [SlotSet("dialogue_stage", "fair_ask_requested")]
        return await hand_off(
            dispatcher,
            tracker,
            trigger="fair_ask_needs_judgement",
            reason=verdict.reason,
            customer_ask=latest_text(tracker),
        )
