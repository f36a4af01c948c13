"""The complaint categories one parsed message raises: the reading the complaint actions
act on and ``make eval-nlu`` scores. Pure function over the parse result. No rasa import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.complaints import INTENT_CATEGORIES, categories_in_message, related_categories
from bot.corrections import denied_categories, ordered_and_received

OVERRIDDEN_INTENTS = frozenset({"deny", "request_human", "insult"})
"""Intents bot/nlu/message_signals.py may set over a complaint the classifier saw."""


def with_clause_categories(
    raised: Sequence[str], found: Mapping[str, Any], known: Iterable[str]
) -> list[str]:
    """``raised`` and after them the categories read clause by clause in a message of
    several (bot/nlu/clause_reader.py): the second problem of "the heel is scuffed and
    the dust bag is missing". A category that implies another still replaces it."""
    related = {c for category in raised for c in (category, *related_categories(category))}
    clauses = [
        str(category)
        for category in found.get("clause_categories") or []
        if category not in related
    ]
    return categories_in_message(None, [*raised, *clauses], known)


def categories_beside_person_request(
    found: Mapping[str, Any], problems: Sequence[str], known: Iterable[str]
) -> list[str]:
    """The categories of a complaint made in the same message as a request for a person
    ("my order is late, get me a human"): the classifier's own reading and the problem
    phrases. They go with the handoff."""
    classified = found.get("classified_as")
    known = list(known)
    raised = categories_in_message(
        classified if isinstance(classified, str) else None, problems, known
    )
    return with_clause_categories(raised, found, known)


def raised_categories(
    intent: str | None,
    found: Mapping[str, Any],
    entity_values: Mapping[str, Sequence[str]],
    text: str,
    known: Iterable[str],
) -> list[str]:
    """The categories the message raises, less any it denies in the same breath.

    ``found`` are the message's signals (bot/nlu/message_signals.py), ``entity_values``
    the values of each entity in the message in order (``problem`` canonical).
    """
    known = list(known)
    denied = set(found.get("denied") or denied_categories(text, known))
    if intent in OVERRIDDEN_INTENTS:
        # The classifier's own reading still says what the complaint is about; when it
        # read the message as the denial or the insult itself, its likeliest complaint
        # that the message does not deny.
        names_something = any(entity_values.get(n) for n in ("order_id", "problem", "product"))
        complains = names_something or (intent != "insult" and len(text.split()) > 3)
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
    raised = with_clause_categories(
        categories_in_message(intent, entity_values.get("problem") or [], known), found, known
    )
    ordered, received = ordered_and_received(text, list(entity_values.get("colour") or []))
    if ordered and received and ordered != received and "wrong_item" not in raised:
        raised.append("wrong_item")  # "red instead of navy" is a wrong item
    return [category for category in raised if category not in denied]
