"""Reading a complaint from the latest message: the categories it raises or denies and
the details that stand (shared by the complaint, correction and boundary actions)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.tracker_reading import (
    complaint_details,
    latest_entity_values,
    latest_intent,
    latest_text,
    signals,
    standing_details,
)
from bot.business import BusinessRules
from bot.complaints import INTENT_CATEGORIES, ComplaintDetails, categories_in_message
from bot.corrections import denied_categories, ordered_and_received

DETAIL_SLOTS = (
    "order_id",
    "product",
    "amount",
    "email",
    "waited",
    "colour",
    "size",
    "received_colour",
)
"""Slots filled from the entity of the same name; a new complaint starts without them."""

CORRECTING_STAGES = frozenset({"complaint_restated", "correcting"})
OVERRIDDEN_INTENTS = frozenset({"deny", "request_human", "insult"})
"""Intents bot/nlu/message_signals.py may set over a complaint the classifier saw."""


def raised_categories(tracker: Tracker, rules: BusinessRules) -> list[str]:
    """The categories the latest message raises, less any it denies in the same breath."""
    intent = latest_intent(tracker)
    denied = set(denied_in(tracker, rules))
    found = signals(tracker)
    if intent in OVERRIDDEN_INTENTS:
        # The classifier's own reading still says what the complaint is about; when it
        # read the message as the denial or the insult itself, its likeliest complaint
        # that the message does not deny.
        names_something = any(
            latest_entity_values(tracker, name) for name in ("order_id", "problem", "product")
        )
        says_more = len(latest_text(tracker).split()) > 3
        complains = names_something or (latest_intent(tracker) != "insult" and says_more)
        intent = found.get("classified_as") or intent
        if complains and INTENT_CATEGORIES.get(intent or "") in (None, *denied):
            intent = next(
                (
                    guess
                    for guess in found.get("complaint_guesses") or []
                    if INTENT_CATEGORIES.get(guess) not in denied
                ),
                intent,
            )
    raised = categories_in_message(
        intent, latest_entity_values(tracker, "problem"), rules.categories
    )
    ordered, received = ordered_and_received(
        latest_text(tracker), latest_entity_values(tracker, "colour")
    )
    if ordered and received and ordered != received and "wrong_item" not in raised:
        raised.append("wrong_item")  # "red instead of navy" is a wrong item
    return [category for category in raised if category not in denied]


def denied_in(tracker: Tracker, rules: BusinessRules) -> list[str]:
    return signals(tracker).get("denied") or denied_categories(
        latest_text(tracker), rules.categories
    )


def detail_slot_events(tracker: Tracker) -> list[EventType]:
    """The details of the latest message as slots, each its value that still stands
    ("the blue one, not the red" sets blue, where Rasa's mapping may have kept red)."""
    return [SlotSet(name, value) for name, value in standing_details(tracker).items()]


def details_after(tracker: Tracker, events: list[EventType]) -> ComplaintDetails:
    """The complaint's details once ``events`` (SlotSet) are applied."""
    details = complaint_details(tracker)
    changes = {
        event["name"]: event["value"]
        for event in events
        if event.get("event") == "slot" and event["name"] in DETAIL_SLOTS
    }
    fields = {name: changes.get(name, getattr(details, name)) for name in DETAIL_SLOTS}
    if changes.get("order_id"):
        fields["order_id"] = "".join(ch for ch in str(changes["order_id"]) if ch.isdigit()) or None
    return ComplaintDetails(**fields)
