"""A payment that did not go through, found in the customer's words (bot/nlu/payments.py)
and set as the ``payment_failure`` entity (bot/nlu/detail_extractor.py)."""

from __future__ import annotations

import pytest

from bot.nlu.detail_extractor import details_entities
from bot.nlu.payments import find_payment_failures


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("my card keeps getting declined at checkout", "card keeps getting declined"),
        ("payment won't go through, tried 3 cards", "payment won't go through"),
        ("I can't pay for my order", "can't pay"),
        ("checkout says payment failed but the money left my account",
         "checkout says payment failed"),
        ("Apple Pay isn't working on your website", "Apple Pay isn't working"),
        ("i have a problem with my payment", "problem with my payment"),
        ("TRANSACTION DECLINED every time", "TRANSACTION DECLINED"),
        ("cant complete my purchase, it just spins", "cant complete my purchase"),
    ],
)  # fmt: skip
def test_a_payment_that_failed_is_found_as_written(text: str, said: str) -> None:
    assert [found.value for found in find_payment_failures(text)][:1] == [said]


@pytest.mark.parametrize(
    "text",
    [
        "I was charged twice for order 48213",
        "my card was charged twice",
        "the payment went through twice",
        "what happens if my card is declined?",
        "I paid $38 for it and the strap is torn",
        "what payment methods do you accept",
    ],
)
def test_a_wrong_charge_a_price_paid_or_a_question_is_no_failed_payment(text: str) -> None:
    assert find_payment_failures(text) == []


def test_the_extractor_sets_the_entity_beside_the_order_number() -> None:
    text = "payment failed on order 58120 but you took £64.20"
    entities = {e["entity"]: e["value"] for e in details_entities(text, [])}
    assert entities["payment_failure"] == "payment failed"
    assert entities["order_id"] == "58120"
    assert entities["amount"] == "£64.20"
