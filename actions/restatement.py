"""Saying the complaint back: one sentence for the customer, one for the agent."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.phrasing import YES_NO, say
from bot.business import BusinessRules
from bot.complaints import ComplaintDetails, case_summary, restate_complaint

RESTATEMENT_PHRASES = ("restate_complaint", "restate_before_offering_human")
"""The phrases a restatement is said with (the second when a person is offered with it)."""


def restate(
    dispatcher: CollectingDispatcher,
    rules: BusinessRules,
    categories: list[str],
    details: ComplaintDetails,
    phrase: str = "restate_complaint",
) -> None:
    """Say the complaint back with Yes/No buttons; the bot event carries the agent's
    one-sentence summary (``case_summary``), which the handoff packet uses."""
    say(
        dispatcher,
        phrase,
        buttons=YES_NO,
        metadata={"case_summary": case_summary(rules, categories, details)},
        summary=restate_complaint(rules, categories, details),
    )
