"""Reading the conversation: what the customer said, and how the dialogue stands."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.authority import parse_money
from bot.chat_ids import customer_key_for_agents
from bot.complaints import ComplaintDetails, normalise_order_id
from bot.corrections import ordered_and_received, standing_value

DETAIL_ENTITIES = (
    "order_id", "product", "amount", "email", "waited", "in_use_for", "due_on", "returned_on",
    "booked_for", "sent_for", "payment_failure",
    "colour", "size",
)  # fmt: skip
"""Entities that fill the slot of the same name (domain.yml)."""


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_entity_values(tracker: Tracker, entity: str) -> list[str]:
    """The distinct values of an entity in the latest message, in text order."""
    found = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]
    found.sort(key=lambda e: int(e.get("start") or 0))
    values: list[str] = []
    for value in (e.get("value") for e in found):
        if value is not None and str(value) not in values:
            values.append(str(value))
    return values


def user_intents(tracker: Tracker) -> list[str | None]:
    """The intent of each user message of the conversation, oldest first."""
    return [
        ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        for event in tracker.events
        if event.get("event") == "user"
    ]


def previous_intent(tracker: Tracker) -> str | None:
    """The intent of the user message before the latest one, if any."""
    intents = user_intents(tracker)
    return intents[-2] if len(intents) >= 2 else None


def trailing_intent_count(tracker: Tracker, intent: str, before_latest: bool = False) -> int:
    """How many of the latest user messages in a row had this intent (``before_latest``:
    counting from the message before the latest one)."""
    intents = user_intents(tracker)
    count = 0
    for name in reversed(intents[:-1] if before_latest else intents):
        if name != intent:
            break
        count += 1
    return count


def complaint_details(tracker: Tracker) -> ComplaintDetails:
    def slot_text(name: str) -> str | None:
        value: Any = tracker.get_slot(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return str(value) if value else None

    return ComplaintDetails(
        order_id=normalise_order_id(slot_text("order_id")),
        product=slot_text("product"),
        amount=slot_text("amount"),
        email=slot_text("email"),
        waited=slot_text("waited"),
        in_use_for=slot_text("in_use_for"),
        due_on=slot_text("due_on"),
        returned_on=slot_text("returned_on"),
        booked_for=slot_text("booked_for"),
        sent_for=slot_text("sent_for"),
        payment_failure=slot_text("payment_failure"),
        colour=slot_text("colour"),
        size=_size(slot_text("size")),
        received_colour=slot_text("received_colour"),
    )


def _size(value: str | None) -> str | None:
    """``"size m"`` → ``"M"`` (the restatement says "in size M"); ``"Medium"`` → ``"medium"``
    and ``"waist 32"`` as they are (it says "in medium", "in waist 32")."""
    if value is None:
        return None
    bare = value.strip()
    if bare.lower().startswith("size "):
        return bare[5:].strip().upper()
    if bare.lower().startswith(("waist", "uk", "eu", "us")):
        return bare
    return bare.lower() if len(bare) > 4 or " " in bare else bare.upper()


def signals(tracker: Tracker) -> dict[str, Any]:
    """What bot/nlu/message_signals.py found in the latest message (empty if nothing)."""
    found = tracker.latest_message.get("signals")
    return found if isinstance(found, dict) else {}


def standing_details(tracker: Tracker) -> dict[str, str]:
    """The details the latest message gives, each the last value it does not deny
    ("the blue one, not the red" → colour blue)."""
    text = latest_text(tracker)
    found: dict[str, str] = {}
    for name in DETAIL_ENTITIES:
        value = standing_value(text, latest_entity_values(tracker, name))
        if value is not None:
            found[name] = value
    ordered, received = ordered_and_received(text, latest_entity_values(tracker, "colour"))
    if ordered and received and ordered != received:
        found["colour"] = ordered
        found["received_colour"] = received
    ordered_size, received_size = ordered_and_received(text, latest_entity_values(tracker, "size"))
    if ordered_size and received_size and ordered_size != received_size:
        found["size"] = ordered_size  # "bought in medium, turned up as a small"
    return found


def amount_in_question(tracker: Tracker) -> float | None:
    """The money the complaint is about, as the customer said it (``amount`` slot), or
    said in the latest message ("issue the refund now, it was $29") when none was before."""
    amount = complaint_details(tracker).amount
    if amount:
        return parse_money([amount])
    return parse_money(latest_entity_values(tracker, "amount"))


def open_categories(tracker: Tracker) -> list[str]:
    """The categories of the complaint in progress (empty once it was settled or handed off)."""
    if not tracker.get_slot("complaint_open"):
        return []
    return list(tracker.get_slot("complaint_categories") or [])


def customer_key(tracker: Tracker) -> str:
    """Who the customer is: the key the gateway sends with each message (``user:<id>``
    for a verified identity, ``visitor:<chat id>`` otherwise), else the conversation id;
    a session id in either becomes ``visitor:<chat id>`` (the key reaches agents, a
    session id must not: bot/chat_ids.py)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            key = (event.get("metadata") or {}).get("customer_key")
            if isinstance(key, str) and key:
                return customer_key_for_agents(key)
            break
    return customer_key_for_agents(tracker.sender_id)
