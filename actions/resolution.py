"""Agreeing a fix: accepting the bot's proposal or judging the customer's own ask.

Whether the assistant may grant anything is decided in one place, bot/authority.py,
from the amounts, percentages and kinds of fix known in the conversation.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off
from actions.phrasing import say
from actions.services import business_rules, case_records
from actions.tracker_reading import (
    amount_in_question,
    complaint_details,
    customer_key,
    latest_entity_values,
    latest_text,
    open_categories,
)
from bot.authority import Ask, ask_for_fix, judge, parse_asks
from bot.case_records import ResolutionRecord, utc_now, verified_user_id
from bot.complaints import describe_subject

DomainDict = dict[str, Any]


def joined(texts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


async def record_grant(tracker: Tracker, asks: list[Ask]) -> str:
    """Record what was granted, tied to the customer's verified identity if they have
    one (else marked unverified); returns its reference."""
    rules = business_rules()
    records = case_records()
    reference = await records.next_reference(rules.reference_prefix)
    customer = customer_key(tracker)
    user_id = verified_user_id(customer)
    await records.save_resolution(
        ResolutionRecord(
            reference=reference,
            customer_key=customer,
            session_id=tracker.sender_id,
            categories=open_categories(tracker),
            order_id=complaint_details(tracker).order_id,
            fix=joined([ask.text for ask in asks]),
            within_authority=True,
            agreed_at=utc_now().isoformat(),
            verified=user_id is not None,
            user_id=user_id,
        )
    )
    return reference


def is_verified(tracker: Tracker) -> bool:
    """Whether the host page vouched for the customer's identity (``user:<id>``)."""
    return verified_user_id(customer_key(tracker)) is not None


def grant_recorded(reference: str, asks: list[Ask]) -> list[EventType]:
    """What was granted, for questions afterwards ("how long will it take?")."""
    fix_ids = [ask.fix.id for ask in asks if ask.fix is not None]
    return [
        SlotSet("last_reference", reference),
        SlotSet("granted_fix", fix_ids[0] if fix_ids else "money"),
    ]


def resolved(reference: str, asks: list[Ask]) -> list[EventType]:
    """The grant settles the complaint."""
    return [
        *grant_recorded(reference, asks),
        SlotSet("complaint_open", False),
        SlotSet("dialogue_stage", "resolved"),
    ]


async def confirm_resolution(
    dispatcher: CollectingDispatcher, tracker: Tracker, asks: list[Ask]
) -> list[EventType]:
    """Record the agreed fix and confirm it with a summary and a reference."""
    reference = await record_grant(tracker, asks)
    fix = joined([ask.text for ask in asks])
    subject = describe_subject(complaint_details(tracker))
    if is_verified(tracker):
        say(dispatcher, "confirm_resolution", fix=fix, subject=subject, reference=reference)
    else:
        # Nobody checked this order is the visitor's: promise the fix once the team has.
        say(
            dispatcher,
            "confirm_resolution_unverified",
            fix=fix,
            subject=subject,
            reference=reference,
        )
    return resolved(reference, asks)


class ActionAcceptProposedFix(Action):
    """The customer accepted the fix the assistant proposed (held against the authority
    again: the amount may have changed since)."""

    def name(self) -> str:
        return "action_accept_proposed_fix"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return []
        if asks_for_a_fix(tracker):
            # "please unlock it": a yes that names the fix it wants, maybe not the proposed one.
            return await evaluate_fair_ask(dispatcher, tracker)
        rules = business_rules()
        fixes = [fix for fix in rules.category(categories[0]).fixes if not fix.needs_approval]
        proposed = tracker.get_slot("proposed_fix")
        fix = next((fix for fix in fixes if fix.id == proposed), fixes[0])
        ask = ask_for_fix(fix, rules, amount_in_question(tracker))
        verdict = judge([ask], rules)[0]
        if verdict.within_authority:
            return await confirm_resolution(dispatcher, tracker, [ask])
        return await hand_off(
            dispatcher,
            tracker,
            trigger="fix_beyond_authority",
            reason=verdict.reason,
            customer_ask=ask.text,
            repeat_ask=True,
        )


ASKING_STAGES = frozenset(
    {"complaint_restated", "fix_proposed", "fair_ask_requested", "human_offered"}
)
"""Where a message that asks for a fix is taken as the customer's fair ask."""
_ASK_SHAPED = re.compile(
    r"\b(?:refund|refunded|give|send|resend|replace|replacement|swap|exchange|credit|unlock|"
    r"change|repair|fix|return|cancel|"
    r"reset|issue|want|wanted|would like|'d like|need|can you|could you|please|pls|back|off|"
    r"instead|voucher|discount|fine with|happy with|ok with|okay with|i'?ll take|do that|"
    r"go with)\b",
    re.IGNORECASE,
)


ANSWERED_PHRASES = frozenset(
    {"confirm_resolution", "partial_grant", "clarify_fair_ask", "handoff_passing", "handoff_queued"}
)


def fair_ask_answered_this_turn(tracker: Tracker) -> bool:
    """Whether an earlier action of this turn already answered the message as a fair ask."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if (event.get("metadata") or {}).get("phrase") in ANSWERED_PHRASES:
            return True
    return False


def asks_for_a_fix(tracker: Tracker) -> bool:
    """Whether the latest message, in an open complaint, asks for a fix ("just the $4.20
    back is fine", "send me a fresh reset link then") rather than adding details."""
    categories = open_categories(tracker)
    if not categories or tracker.get_slot("dialogue_stage") not in ASKING_STAGES:
        return False
    text = latest_text(tracker)
    if not _ASK_SHAPED.search(text):
        return False
    return bool(parse_asks(text, business_rules(), categories, amount_in_question(tracker)))


async def evaluate_fair_ask(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Grant what the customer considers fair if the assistant may; else hand off.

    An ask in several parts ("refund the delivery fee and give me 10% off") is judged
    part by part: the parts within authority are granted and confirmed, the rest go to
    a person with those parts attached.
    """
    rules = business_rules()
    categories = open_categories(tracker)
    if not categories:
        dispatcher.utter_message(response="utter_ask_what_happened")
        return [SlotSet("dialogue_stage", None)]
    text = latest_text(tracker)
    amounts = latest_entity_values(tracker, "amount")
    asks = parse_asks(
        " ".join([text, *[a for a in amounts if a not in text]]),
        rules,
        categories,
        amount_in_question(tracker),
    )
    verdicts = judge(asks, rules)
    granted = [verdict.ask for verdict in verdicts if verdict.within_authority]
    refused = [verdict for verdict in verdicts if not verdict.within_authority]
    if granted and not refused:
        return await confirm_resolution(dispatcher, tracker, granted)
    if granted:
        reference = await record_grant(tracker, granted)
        rest = joined([verdict.ask.text for verdict in refused])
        fix = joined([ask.text for ask in granted])
        if is_verified(tracker):
            say(dispatcher, "partial_grant", fix=fix, reference=reference, rest=rest)
        else:
            say(dispatcher, "partial_grant_unverified", fix=fix, reference=reference, rest=rest)
        handed = await hand_off(
            dispatcher,
            tracker,
            trigger="fair_ask_beyond_authority",
            reason="; ".join(verdict.reason for verdict in refused),
            customer_ask=rest,
        )
        return [*grant_recorded(reference, granted), *handed]
    if refused:
        return await hand_off(
            dispatcher,
            tracker,
            trigger="fair_ask_beyond_authority",
            reason="; ".join(verdict.reason for verdict in refused),
            customer_ask=joined([verdict.ask.text for verdict in refused]),
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
        reason="the customer's ask was not one the assistant recognises",
        customer_ask=text,
    )


class ActionEvaluateFairAsk(Action):
    """The customer said what they would consider fair (``evaluate_fair_ask``)."""

    def name(self) -> str:
        return "action_evaluate_fair_ask"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await evaluate_fair_ask(dispatcher, tracker)
