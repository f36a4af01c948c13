"""Sets the ``order_id``, ``amount`` and ``size`` entities from bot/nlu/details.py, and
``waited`` / ``in_use_for`` from bot/nlu/durations.py, ``due_on`` / ``returned_on`` /
``booked_for`` / ``sent_for`` from bot/nlu/dates.py, ``payment_failure`` from
bot/nlu/payments.py.

Runs after Rasa's RegexEntityExtractor and replaces what its regexes found for these
entities: a regex cannot tell an order number from a phone number, postcode or date by
its context, reads "order 0000458812" or "112-4567890-1234567" in parts, and cannot
tell a wait ("it's been 3 weeks") from an item's age ("broke after 3 weeks").
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.dates import find_dates
from bot.nlu.details import Found, find_amounts, find_order_ids, find_sizes
from bot.nlu.durations import find_durations
from bot.nlu.payments import find_payment_failures
from bot.nlu.product_words import as_written, product_words
from bot.nlu.stateless import StatelessComponent

EXTRACTED = frozenset(
    {"order_id", "amount", "size", "waited", "in_use_for", "due_on", "returned_on",
     "booked_for", "sent_for", "payment_failure"}
)  # fmt: skip
"""The entities this extractor sets; what Rasa's regexes found for them is replaced."""
DATE_ENTITIES = {"due": "due_on", "returned": "returned_on", "booked": "booked_for",
                 "sent": "sent_for"}  # fmt: skip
"""The entity each kind of date said sets (bot/nlu/dates.py)."""


def _entity(name: str, found: Found) -> dict[str, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_START: found.start,
        ENTITY_ATTRIBUTE_END: found.end,
        ENTITY_ATTRIBUTE_VALUE: found.value,
        EXTRACTOR: DetailExtractor.__name__,
    }


def _overlaps(entity: dict[str, Any], spans: list[tuple[int, int]]) -> bool:
    start, end = entity.get(ENTITY_ATTRIBUTE_START, -1), entity.get(ENTITY_ATTRIBUTE_END, -1)
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def details_entities(text: str, others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities of a message with order numbers, amounts, sizes, durations and dates
    found by their shape, products in the customer's words; other entities that overlap
    an order number are dropped."""
    amounts = [_entity("amount", found) for found in find_amounts(text)]
    amount_spans = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in amounts]
    order_ids = [
        entity
        for entity in (_entity("order_id", found) for found in find_order_ids(text))
        if not _overlaps(entity, amount_spans)
    ]
    order_spans = [(e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END]) for e in order_ids]
    kept = [
        entity
        for entity in others
        if entity.get(ENTITY_ATTRIBUTE_TYPE) not in EXTRACTED and not _overlaps(entity, order_spans)
    ]
    sizes = [_entity("size", found) for found in find_sizes(text)]
    durations = [
        _entity(
            "in_use_for" if duration.in_use else "waited",
            Found(duration.value, duration.start, duration.end),
        )
        for duration in find_durations(text)
    ]
    dates = [
        _entity(DATE_ENTITIES[said.kind], Found(said.value, said.start, said.end))
        for said in find_dates(text)
    ]
    failures = [_entity("payment_failure", found) for found in find_payment_failures(text)]
    found = [*kept, *order_ids, *amounts, *sizes, *durations, *dates, *failures]
    return with_product_words(text, sorted(found, key=lambda e: e.get(ENTITY_ATTRIBUTE_START, 0)))


def with_product_words(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each ``product`` in the customer's words: "almond milk" where the lookup found
    "milk" (bot/nlu/product_words.py), never reaching into another detail before it."""
    result = []
    not_before = 0
    for entity in entities:
        start = entity.get(ENTITY_ATTRIBUTE_START, 0)
        if entity.get(ENTITY_ATTRIBUTE_TYPE) == "product" and start >= not_before:
            begin = product_words(text, start, not_before)
            if begin < start:
                end = entity.get(ENTITY_ATTRIBUTE_END, start)
                entity = {
                    **entity,
                    ENTITY_ATTRIBUTE_START: begin,
                    ENTITY_ATTRIBUTE_VALUE: as_written(text, begin, end),
                }
        result.append(entity)
        not_before = max(not_before, entity.get(ENTITY_ATTRIBUTE_END, 0))
    return result


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DetailExtractor(StatelessComponent, EntityExtractorMixin):
    """Order numbers and amounts by shape and context (bot/nlu/details.py)."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = details_entities(message.get(TEXT) or "", message.get(ENTITIES) or [])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
