"""Reading a complaint from the latest message: the categories it raises or denies and
the details that stand (shared by the complaint, correction and boundary actions)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.tracker_reading import (
    DETAIL_ENTITIES,
    complaint_details,
    latest_entity_values,
    latest_intent,
    latest_text,
    signals,
    standing_details,
)
from bot.business import BusinessRules
from bot.complaints import (
    ComplaintDetails,
    normalise_order_id,
)
from bot.corrections import denied_categories
from bot.message_reading import raised_categories as read_raised_categories

READ_ENTITIES = ("order_id", "problem", "product", "colour")

DETAIL_SLOTS = (*DETAIL_ENTITIES, "received_colour")
"""Slots filled from the entity of the same name; a new complaint starts without them."""

CORRECTING_STAGES = frozenset({"complaint_restated", "correcting"})


def raised_categories(tracker: Tracker, rules: BusinessRules) -> list[str]:
    """The categories the latest message raises, less any it denies in the same breath
    (bot/message_reading.py)."""
    return read_raised_categories(
        latest_intent(tracker),
        signals(tracker),
        {name: latest_entity_values(tracker, name) for name in READ_ENTITIES},
        latest_text(tracker),
        rules.categories,
    )


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
        fields["order_id"] = normalise_order_id(str(changes["order_id"]))
    return ComplaintDetails(**fields)
