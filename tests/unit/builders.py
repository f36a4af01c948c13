"""Builders for action tests: trackers built inline, per test (never shared)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_event(
    intent: str, text: str = "", entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": entities or []},
    }


def bot_event(phrase: str, text: str | None = None) -> dict[str, Any]:
    """A bot message as the tracker records it: the phrase key in its metadata."""
    return {"event": "bot", "text": text or f"({phrase})", "metadata": {"phrase": phrase}}


def make_tracker(
    intent: str = "inform",
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    earlier_intents: list[str] | None = None,
    sender_id: str = "visitor-1",
    earlier_events: list[dict[str, Any]] | None = None,
    signals: dict[str, Any] | None = None,
    this_turn: list[dict[str, Any]] | None = None,
    customer_key: str | None = None,
) -> Tracker:
    """A tracker whose latest message has this intent, text and entities.

    ``earlier_intents`` are user messages before it, oldest first; ``earlier_events``
    (e.g. from ``user_event`` and ``bot_event``) come after those, just before it;
    ``this_turn`` (bot events) after it, said by earlier actions of the same turn.
    ``customer_key`` is the metadata the gateway sends with the latest message
    (``user:<id>`` for a verified customer); without it the customer is anonymous.
    """
    entities = entities or []
    events = [user_event(name, f"({name})") for name in earlier_intents or []]
    events.extend(earlier_events or [])
    latest = user_event(intent, text, entities)
    if customer_key is not None:
        latest["metadata"] = {"customer_key": customer_key}
    events.append(latest)
    events.extend(this_turn or [])
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message={
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities,
            "text": text,
            "signals": signals or {},
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value), "extractor": "test"}


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [message.get("text") or "" for message in dispatcher.messages]


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def with_slots(slots: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots after applying the SlotSet events an action returned."""
    return {**slots, **slot_events(events)}


ENTITY_SLOTS = ("order_id", "product", "amount", "email", "waited", "colour", "size")
"""Slots domain.yml fills from the entity of the same name."""


class Conversation:
    """Runs actions turn by turn, keeping the slots and intents as Rasa would.

    Each turn is one user message followed by the actions the rules predict for it.
    Entities fill their slots like the domain's ``from_entity`` mappings (``amount``
    not from ``propose_resolution``).
    """

    def __init__(
        self, domain: dict[str, Any], sender_id: str = "visitor-1", customer_key: str | None = None
    ) -> None:
        self.domain = domain
        self.sender_id = sender_id
        self.customer_key = customer_key
        """What the gateway sends with each message (``user:<id>``: a verified customer)."""
        self.slots: dict[str, Any] = {}
        self.intents: list[str] = []
        self.said: list[str] = []
        self.responses: list[str] = []
        self.latest: tuple[str, str, list[dict[str, Any]] | None] = ("greet", "", None)
        self.signals: dict[str, Any] = {}
        """The latest user message: intent, text, entities."""

    async def turn(
        self,
        intent: str,
        text: str,
        *actions: Any,
        entities: list[dict[str, Any]] | None = None,
        signals: dict[str, Any] | None = None,
    ) -> list[str]:
        """Run ``actions`` for this message; returns the texts they said. ``signals`` are
        what bot/nlu/message_signals.py would have found in it."""
        self.signals = signals or {}
        for item in entities or []:
            name = item["entity"]
            if name in ENTITY_SLOTS and not (name == "amount" and intent == "propose_resolution"):
                self.slots[name] = item["value"]
        said = await self._run(actions, intent, text, entities, self.intents)
        self.intents.append(intent)
        self.latest = (intent, text, entities)
        return said

    async def act(self, *actions: Any) -> list[str]:
        """Run ``actions`` with no new user message, as when the gateway hands the
        conversation back and runs the resume action; returns the texts they said."""
        intent, text, entities = self.latest
        return await self._run(actions, intent, text, entities, self.intents[:-1])

    async def _run(
        self,
        actions: tuple[Any, ...],
        intent: str,
        text: str,
        entities: list[dict[str, Any]] | None,
        earlier_intents: list[str],
    ) -> list[str]:
        said: list[str] = []
        this_turn: list[dict[str, Any]] = []
        for action in actions:
            dispatcher = CollectingDispatcher()
            tracker = make_tracker(
                intent,
                text,
                entities,
                slots=self.slots,
                earlier_intents=earlier_intents,
                sender_id=self.sender_id,
                signals=self.signals,
                this_turn=this_turn,
                customer_key=self.customer_key,
            )
            events = await action.run(dispatcher, tracker, self.domain)
            this_turn.extend(
                bot_event(message["phrase"], message.get("text"))
                for message in dispatcher.messages
                if message.get("phrase")
            )
            self.slots = with_slots(self.slots, events)
            said.extend(texts(dispatcher))
            self.responses.extend(
                message["response"] for message in dispatcher.messages if message.get("response")
            )
        self.said.extend(said)
        return said
