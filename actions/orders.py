"""Cancelling an order: find out which, say the limits, confirm, then act."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import say
from actions.services import business_rules, case_records
from actions.tracker_reading import complaint_details, customer_key, latest_entity_values
from bot.case_records import CancellationRequest, utc_now, verified_user_id

DomainDict = dict[str, Any]


def ask_which_order(dispatcher: CollectingDispatcher) -> list[EventType]:
    say(dispatcher, "ask_order_to_cancel")
    return [SlotSet("dialogue_stage", "awaiting_order_to_cancel")]


class ActionHandleCancelOrder(Action):
    """Ask which order, or state the limits and ask for confirmation."""

    def name(self) -> str:
        return "action_handle_cancel_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_id = complaint_details(tracker).order_id
        if order_id is None:
            return ask_which_order(dispatcher)
        if tracker.get_slot("dialogue_stage") == "cancel_confirming" and not new_order_named(
            tracker
        ):
            # "yes please cancel it" while confirming is the confirmation.
            return await cancel(dispatcher, tracker, order_id)
        say(
            dispatcher,
            "confirm_cancellation",
            limits=business_rules().cancellation_limits,
            order_id=order_id,
        )
        return [SlotSet("dialogue_stage", "cancel_confirming")]


class ActionCancelOrder(Action):
    """The customer confirmed: record the cancellation and give a reference."""

    def name(self) -> str:
        return "action_cancel_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_id = complaint_details(tracker).order_id
        if order_id is None:
            return ask_which_order(dispatcher)
        return await cancel(dispatcher, tracker, order_id)


def new_order_named(tracker: Tracker) -> bool:
    """Whether the latest message names an order number (then it is confirmed anew)."""
    return bool(latest_entity_values(tracker, "order_id"))


async def cancel(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_id: str
) -> list[EventType]:
    """Record the cancellation and confirm it with a reference.

    Only a verified customer (the host page vouched for their user id) is told the order
    is being cancelled; for an anonymous visitor nobody can tell the order is theirs, so
    the record says so and the bot says the team checks before it goes through.
    """
    records = case_records()
    reference = await records.next_reference(business_rules().reference_prefix)
    customer = customer_key(tracker)
    user_id = verified_user_id(customer)
    await records.save_cancellation(
        CancellationRequest(
            reference=reference,
            session_id=tracker.sender_id,
            customer_key=customer,
            order_id=order_id,
            requested_at=utc_now().isoformat(),
            verified=user_id is not None,
            user_id=user_id,
        )
    )
    if user_id is not None:
        say(dispatcher, "order_cancelled", order_id=order_id, reference=reference)
    else:
        say(dispatcher, "order_cancelled_unverified", order_id=order_id, reference=reference)
    return [
        SlotSet("last_reference", reference),
        SlotSet("dialogue_stage", "resolved"),
    ]


class ActionKeepOrder(Action):
    """The customer changed their mind about cancelling."""

    def name(self) -> str:
        return "action_keep_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order_id = complaint_details(tracker).order_id or "?"
        say(dispatcher, "order_kept", order_id=order_id)
        return [SlotSet("dialogue_stage", None)]
