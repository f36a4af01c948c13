"""A new conversation session: carry the slots over and set the company name."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

from actions.services import business_rules, handoff_desk
from bot.ownership import BOT, owner_of

DomainDict = dict[str, Any]


class ActionSessionStart(Action):
    """Start a session as Rasa does, and make ``{company_name}`` available to responses;
    still paused if people own the conversation."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            events.extend(
                SlotSet(name, value)
                for name, value in tracker.current_slot_values().items()
                if value is not None and name != "company_name"
            )
        events.append(SlotSet("company_name", business_rules().company_name))
        if await owner_of(handoff_desk().client, tracker.sender_id) != BOT:
            # A session that expires while people own the chat must not wake the bot.
            events.append(ConversationPaused())
        events.append(ActionExecuted("action_listen"))
        return events
