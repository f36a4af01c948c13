"""The complaint flow: acknowledge, restate, state the limits, propose a fix."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off_if_frustration_rising
from actions.phrasing import say
from actions.services import business_rules
from actions.tracker_reading import (
    complaint_details,
    latest_entity_values,
    latest_intent,
    open_categories,
)
from bot.complaints import (
    apologies_for,
    categories_in_message,
    merge_categories,
    restate_complaint,
)

DomainDict = dict[str, Any]

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}

DETAIL_SLOTS = ("order_id", "product", "amount", "email", "waited")
"""Slots filled from the entity of the same name; a new complaint starts without them."""


class ActionAcknowledgeComplaint(Action):
    """Apologise for each problem the message raises, naming every one."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        rules = business_rules()
        raised = categories_in_message(
            latest_intent(tracker),
            latest_entity_values(tracker, "problem"),
            rules.categories,
        )
        earlier = open_categories(tracker)
        new = [category for category in raised if category not in earlier]
        apologies = apologies_for(rules, new or raised)
        if len(apologies) == 1:
            say(dispatcher, "acknowledge_complaint", apology=apologies[0])
        elif apologies:
            say(
                dispatcher,
                "acknowledge_problems",
                problem_count=NUMBER_WORDS.get(len(apologies), str(len(apologies))),
                apologies=". ".join(apologies),
            )
        events: list[EventType] = [
            SlotSet("complaint_categories", merge_categories(earlier, raised)),
            SlotSet("complaint_open", True),
        ]
        if not earlier and tracker.get_slot("complaint_categories"):
            # A new complaint after a closed one: that one's details must not be
            # restated as if they belonged to this one.
            mentioned = {
                entity.get("entity") for entity in tracker.latest_message.get("entities", [])
            }
            events.extend(SlotSet(slot, None) for slot in DETAIL_SLOTS if slot not in mentioned)
        return events


class ActionRestateComplaint(Action):
    """Say the complaint back with its details and ask whether it is right."""

    def name(self) -> str:
        return "action_restate_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return []
        summary = restate_complaint(business_rules(), categories, complaint_details(tracker))
        say(dispatcher, "restate_complaint", summary=summary)
        return [SlotSet("dialogue_stage", "complaint_restated")]


class ActionAskWhatWasMissed(Action):
    """The restatement was wrong: ask what was missed, then restate again."""

    def name(self) -> str:
        return "action_ask_what_was_missed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        say(dispatcher, "ask_what_was_missed")
        return [SlotSet("dialogue_stage", "correcting")]


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
    """Offer the first fix for the main problem and ask what would be fair."""

    def name(self) -> str:
        return "action_propose_fix"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        categories = open_categories(tracker)
        if not categories:
            dispatcher.utter_message(response="utter_ask_what_happened")
            return []
        offers = [
            fix for fix in business_rules().category(categories[0]).fixes if not fix.needs_approval
        ]
        if len(offers) > 1:
            say(
                dispatcher,
                "propose_fix",
                fix=offers[0].text,
                alternative=offers[1].text,
            )
        else:
            say(dispatcher, "propose_only_fix", fix=offers[0].text)
        return [
            SlotSet("proposed_fix", offers[0].id),
            SlotSet("dialogue_stage", "fix_proposed"),
        ]


class ActionAskWhatWouldBeFair(Action):
    """The customer turned the proposal down: ask what they would consider fair."""

    def name(self) -> str:
        return "action_ask_what_would_be_fair"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        handed_off = await hand_off_if_frustration_rising(dispatcher, tracker)
        if handed_off is not None:
            return handed_off
        say(dispatcher, "ask_what_would_be_fair")
        return [SlotSet("dialogue_stage", "fair_ask_requested")]
