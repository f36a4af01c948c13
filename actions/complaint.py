"""The complaint flow: acknowledge, restate, state the limits, propose a fix."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.complaint_reading import (
    CORRECTING_STAGES,
    DETAIL_SLOTS,
    denied_in,
    detail_slot_events,
    details_after,
    raised_categories,
)
from actions.handoff import hand_off_if_frustration_rising, offer_human
from actions.phrasing import say
from actions.resolution import asks_for_a_fix, evaluate_fair_ask, fair_ask_answered_this_turn
from actions.restatement import restate
from actions.services import business_rules
from actions.tracker_reading import (
    amount_in_question,
    latest_entity_values,
    latest_intent,
    latest_text,
    open_categories,
)
from bot.authority import ask_for_fix, may_grant
from bot.complaints import apologies_for, corrected_categories, merge_categories
from bot.corrections import adds_to_complaint

DomainDict = dict[str, Any]

WHAT_WAS_WRONG = [
    {"title": "The problem", "payload": '/inform{"correction_part": "problem"}'},
    {"title": "The order number", "payload": '/inform{"correction_part": "order_id"}'},
    {"title": "The item", "payload": '/inform{"correction_part": "product"}'},
    {"title": "Another detail", "payload": '/inform{"correction_part": "details"}'},
]
"""The likely wrong parts of a restatement, offered after a bare "no"."""

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def refund_asked_in_open_complaint(tracker: Tracker, earlier: list[str]) -> bool:
    """ "refund the $59.99" while a complaint is open asks for a fix (judged against the
    authority); it is not a new complaint about a refund."""
    return (
        bool(earlier)
        and latest_intent(tracker) == "request_refund"
        and "refund" not in earlier
        and asks_for_a_fix(tracker)
    )


class ActionAcknowledgeComplaint(Action):
    """Apologise for each problem the message raises, naming every one.

    A complaint that denies part of the restatement ("it's damaged, not late") replaces
    what it denies instead of adding to it.
    """

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        raised = raised_categories(tracker, rules)
        denied = denied_in(tracker, rules)
        earlier = open_categories(tracker)
        new = [category for category in raised if category not in earlier]
        if refund_asked_in_open_complaint(tracker, earlier) or (
            not new and not denied and asks_for_a_fix(tracker)
        ):
            # "send me a fresh reset link then" in an open complaint is the fair ask,
            # not the same complaint again.
            return await evaluate_fair_ask(dispatcher, tracker)
        payment_failed = bool(tracker.get_slot("payment_failure"))
        apologies = apologies_for(rules, new or raised, payment_failed)
        if len(apologies) == 1:
            say(dispatcher, "acknowledge_complaint", apology=apologies[0])
        elif apologies:
            say(
                dispatcher,
                "acknowledge_problems",
                problem_count=NUMBER_WORDS.get(len(apologies), str(len(apologies))),
                apologies=". ".join(apologies),
            )
        correcting = bool(denied) and tracker.get_slot("dialogue_stage") in CORRECTING_STAGES
        categories = (
            corrected_categories(earlier, denied, raised, adds_to_complaint(latest_text(tracker)))
            if correcting
            else [c for c in merge_categories(earlier, raised) if c not in denied]
        )
        events: list[EventType] = [
            SlotSet("complaint_categories", categories),
            SlotSet("complaint_open", True),
        ]
        if not earlier and tracker.get_slot("complaint_categories"):
            # A new complaint after a closed one: that one's details must not be
            # restated as if they belonged to this one.
            mentioned = {
                entity.get("entity") for entity in tracker.latest_message.get("entities", [])
            }
            events.extend(SlotSet(slot, None) for slot in DETAIL_SLOTS if slot not in mentioned)
            events.append(SlotSet("restatement_rejections", None))
        events.extend(detail_slot_events(tracker))
        return events


class ActionRestateComplaint(Action):
    """Say the complaint back with its details and ask whether it is right."""

    def name(self) -> str:
        return "action_restate_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if fair_ask_answered_this_turn(tracker):
            return []
        if latest_intent(tracker) == "inform" and asks_for_a_fix(tracker):
            return await evaluate_fair_ask(dispatcher, tracker)
        part = next(iter(latest_entity_values(tracker, "correction_part")), None)
        if part is not None:
            say(dispatcher, CORRECTION_PHRASES.get(part, CORRECTION_PHRASES["details"]))
            return [SlotSet("dialogue_stage", "correcting")]
        rules = business_rules()
        events = detail_slot_events(tracker)
        categories = open_categories(tracker)
        if tracker.get_slot("dialogue_stage") in CORRECTING_STAGES:
            raised = raised_categories(tracker, rules)
            denied = denied_in(tracker, rules)
            if raised or denied:
                additive = adds_to_complaint(latest_text(tracker))
                categories = corrected_categories(categories, denied, raised, additive)
                events.extend(
                    [SlotSet("complaint_categories", categories), SlotSet("complaint_open", True)]
                )
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return events
        restate(dispatcher, rules, categories, details_after(tracker, events))
        return [*events, SlotSet("dialogue_stage", "complaint_restated")]


CORRECTION_PHRASES = {
    "problem": "ask_correct_problem",
    "order_id": "ask_correct_order_id",
    "product": "ask_correct_product",
    "details": "ask_correct_details",
}
"""What the bot asks when the customer picks the part of the restatement it got wrong."""


class ActionAskWhatWasMissed(Action):
    """The customer said the restatement was wrong.

    A "no" with new content is a correction: what it denies goes, what it says replaces
    the rest, and the complaint is restated. A bare "no" asks what was wrong, with the
    likely parts as buttons. The second wrong restatement offers a person.
    """

    def name(self) -> str:
        return "action_ask_what_was_missed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        rules = business_rules()
        raised = raised_categories(tracker, rules)
        categories = open_categories(tracker)
        if not categories:
            return await self.without_a_complaint(dispatcher, tracker, domain, raised)
        rejections = int(tracker.get_slot("restatement_rejections") or 0) + 1
        events: list[EventType] = [SlotSet("restatement_rejections", rejections)]
        denied = denied_in(tracker, rules)
        details = detail_slot_events(tracker)
        if raised or denied or details:
            additive = adds_to_complaint(latest_text(tracker))
            categories = corrected_categories(categories, denied, raised, additive)
            events.extend(
                [
                    *details,
                    SlotSet("complaint_categories", categories),
                    SlotSet("complaint_open", True),
                ]
            )
            if not categories:
                say(dispatcher, "ask_what_went_wrong_instead")
                return [*events, SlotSet("dialogue_stage", "correcting")]
            if rejections >= 2:
                restate(
                    dispatcher,
                    rules,
                    categories,
                    details_after(tracker, events),
                    phrase="restate_before_offering_human",
                )
                return [*events, *offer_human(dispatcher, tracker, "repeated_correction")]
            restate(dispatcher, rules, categories, details_after(tracker, events))
            return [*events, SlotSet("dialogue_stage", "complaint_restated")]
        if rejections >= 2:
            return [*events, *offer_human(dispatcher, tracker, "repeated_correction")]
        say(dispatcher, "ask_what_was_missed", buttons=WHAT_WAS_WRONG)
        return [*events, SlotSet("dialogue_stage", "correcting")]

    @staticmethod
    async def without_a_complaint(
        dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, raised: list[str]
    ) -> list[EventType]:
        """A "no" with no complaint open: one that names a problem ("no, I ordered it in
        large, not medium") is heard as the complaint; otherwise the bot offers help."""
        if not raised:
            dispatcher.utter_message(response="utter_ask_how_can_i_help")
            return [SlotSet("dialogue_stage", None)]
        events = await ActionAcknowledgeComplaint().run(dispatcher, tracker, domain)
        restate(dispatcher, business_rules(), raised, details_after(tracker, events))
        return [*events, SlotSet("dialogue_stage", "complaint_restated")]


class ActionStateLimits(Action):
    """Before proposing anything, say what can and cannot be done, per problem."""

    def name(self) -> str:
        return "action_state_limits"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        for category_id in open_categories(tracker):
            category = rules.category(category_id)
            say(
                dispatcher,
                "state_limits",
                category_name=category.name,
                can=category.can,
                cannot=category.cannot,
            )
        return []


class ActionProposeFix(Action):
    """Offer the fixes for the main problem that are within the assistant's authority
    (bot/authority.py), and ask what would be fair.

    A fix costing an amount nobody has said is not offered: the assistant asks for the
    amount. When nothing is within its authority, it says so and offers a person.
    """

    def name(self) -> str:
        return "action_propose_fix"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return []
        rules = business_rules()
        category = rules.category(categories[0])
        amount = amount_in_question(tracker)
        offered = [fix for fix in category.fixes if not fix.needs_approval]
        asks = [ask_for_fix(fix, rules, amount) for fix in offered]
        granted = [
            (fix, ask) for fix, ask in zip(offered, asks, strict=True) if may_grant(ask, rules)
        ]
        if not granted and any(ask.cost_unknown for ask in asks):
            say(dispatcher, "ask_amount", max_refund=rules.money(rules.max_refund))
            return [SlotSet("dialogue_stage", "complaint_restated")]
        beyond = [ask for ask in asks if not ask.cost_unknown and not may_grant(ask, rules)]
        if beyond:
            say(
                dispatcher,
                "beyond_authority_note",
                fix=beyond[0].text,
                max_refund=rules.money(rules.max_refund),
            )
        if not granted:
            events = offer_human(dispatcher, tracker, "beyond_authority")
            pending = beyond[0].text if beyond else None
            return [*events, SlotSet("proposed_fix", None), SlotSet("pending_ask", pending)]
        if len(granted) > 1:
            say(dispatcher, "propose_fix", fix=granted[0][1].text, alternative=granted[1][1].text)
        else:
            say(dispatcher, "propose_only_fix", fix=granted[0][1].text)
        return [
            SlotSet("proposed_fix", granted[0][0].id),
            SlotSet("dialogue_stage", "fix_proposed"),
        ]


class ActionAskWhatWouldBeFair(Action):
    """The customer turned the proposal down: ask what they would consider fair."""

    def name(self) -> str:
        return "action_ask_what_would_be_fair"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if asks_for_a_fix(tracker):
            # "issue it now please": a no to the proposal that already says what is fair.
            return await evaluate_fair_ask(dispatcher, tracker)
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        say(dispatcher, "ask_what_would_be_fair")
        return [SlotSet("dialogue_stage", "fair_ask_requested")]
