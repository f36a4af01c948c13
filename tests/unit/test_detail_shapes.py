"""Order numbers and amounts of the shapes customers write, found by bot/nlu/details.py,
and the shapes that must never be read as one (phone numbers, postcodes, dates, amounts)."""

from __future__ import annotations

import pytest

from bot.complaints import normalise_order_id
from bot.nlu.detail_extractor import details_entities
from bot.nlu.details import (
    find_amounts,
    find_order_ids,
    find_sizes,
    is_percentage,
    money_value,
    number_value,
)


def order_ids(text: str) -> list[str]:
    return [found.value for found in find_order_ids(text)]


def amounts(text: str) -> list[str]:
    return [found.value for found in find_amounts(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order #48213 never came", "48213"),
        ("#4821 is late", "4821"),
        ("order 4821 is late", "4821"),
        ("No. 552901 arrived broken", "552901"),
        ("order no. 552901", "552901"),
        ("order number is 552901", "552901"),
        ("purchase 0000458812 never showed up", "0000458812"),
        ("it's 0000458812", "0000458812"),
        ("ORD-77120 is wrong", "ORD-77120"),
        ("ord77120 please", "ord77120"),
        ("A7X-99231 came without the charger", "A7X-99231"),
        ("112-4567890-1234567 was charged twice", "112-4567890-1234567"),
        ("my order wk-2291-88 has a missing part", "wk-2291-88"),
        ("order 12345678901234 never arrived", "12345678901234"),
        ("booking ref BK2291 didn't come through", "BK2291"),
        ("booking 0000458812", "0000458812"),
        ("order#48213 is late", "48213"),
        ("(order 48213) is late", "48213"),
        ("the parcel for 48213, still nothing", "48213"),
        ("invoice no 88213-A is wrong", "88213-A"),
        ("reservation code XK99182", "XK99182"),
        ("20-character id ABCDEFGHIJ1234567890 here", "ABCDEFGHIJ1234567890"),
        ("No.00081234 - you sent someone else's order", "00081234"),
        ("ordr 5512 never came", "5512"),
        ("booking QXT7RM was cancelled", "QXT7RM"),
    ],
)
def test_an_order_number_of_each_shape_is_found_as_written(text: str, expected: str) -> None:
    assert order_ids(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07700 900123",
        "my number is 07700900123",
        "ring me +44 7700 900123 after six",
        "0800 123 4567 is your helpline, right?",
        "phone 555-123-4567",
        "I'm at SW1A 1AA",
        "the zip is 90210",
        "delivery to 221B Baker Street",
        "it was due on 12/03/2026",
        "it came on 2026-03-01 at 14:30",
        "since 2024 I've shopped here",
        "I paid $48213 for that",
        "charged 1299 dollars",
        "I paid £1,299.99",
        "I was charged 89.90 twice",
        "20% off didn't work",
        "I ordered 12000 units",
        "it weighs 20000 grams",
        "the 15th of March",
        "5 days late",
        "the description says 160x230cm, mine is 120x170",
        "Flight BA2490 on 12 June",
        "I paid for bags on FR8134 to Faro",
        "tracking says delivered to 90210 but I live in 90211",
        "the 128gb model",
        "it's been 3 weeks",
    ],
)
def test_other_numbers_are_never_order_numbers(text: str) -> None:
    assert order_ids(text) == []


@pytest.mark.parametrize(
    ("text", "expected", "value"),
    [
        ("charged $89.90 twice", "$89.90", 89.90),
        ("it cost £1,299", "£1,299", 1299.0),
        ("€1.299,00 for a sofa", "€1.299,00", 1299.0),
        ("$1,299.99 laptop", "$1,299.99", 1299.99),
        ("40 quid for nothing", "40 quid", 40.0),
        ("paid EUR 40 extra", "EUR 40", 40.0),
        ("25 bucks gone", "25 bucks", 25.0),
        ("30 dollars", "30 dollars", 30.0),
        ("12,50 € for a box", "12,50 €", 12.5),
        ("12.50 euros", "12.50 euros", 12.5),
        ("USD 15.99", "USD 15.99", 15.99),
        ("20 pounds", "20 pounds", 20.0),
    ],
)
def test_an_amount_of_each_shape_is_found_with_its_value(
    text: str, expected: str, value: float
) -> None:
    assert amounts(text) == [expected]
    assert number_value(expected) == pytest.approx(value)
    assert not is_percentage(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20% off", "20%"), ("12.5 percent", "12.5 percent"), ("15 per cent", "15 per cent")],
)
def test_percentages_are_amounts_marked_as_percent(text: str, expected: str) -> None:
    assert amounts(text) == [expected]
    assert is_percentage(expected)


@pytest.mark.parametrize(
    "text", ["order 48213", "3 items", "2 weeks late", "size 12", "call 07700 900123"]
)
def test_numbers_without_money_are_not_amounts(text: str) -> None:
    assert amounts(text) == []


def test_several_details_in_one_message_keep_their_order() -> None:
    text = "order #48213 and ORD-77120: charged $89.90 and then 40 quid"
    assert order_ids(text) == ["48213", "ORD-77120"]
    assert amounts(text) == ["$89.90", "40 quid"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#48213", "48213"),
        ("order 48213", "48213"),
        ("ord-77120", "77120"),
        ("a7x-99231", "A7X-99231"),
        ("0000458812", "0000458812"),
        ("112-4567890-1234567", "112-4567890-1234567"),
        ("No. 552901", "552901"),
        ("", None),
        ("hello", None),
        ("12", None),
    ],
)
def test_order_numbers_are_normalised_keeping_zeros_letters_and_dashes(
    raw: str, expected: str | None
) -> None:
    assert normalise_order_id(raw) == expected


def test_the_extractor_replaces_regex_guesses_for_order_numbers_and_amounts() -> None:
    text = "call 07700 900123 about order 0000458812, charged £1,299.99"
    regex_guesses = [
        {"entity": "order_id", "start": 5, "end": 10, "value": "07700"},
        {"entity": "amount", "start": 44, "end": 46, "value": "£1"},
        {"entity": "product", "start": 60, "end": 61, "value": "x"},
    ]
    entities = details_entities(text, regex_guesses)
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("order_id", "0000458812"),
        ("amount", "£1,299.99"),
        ("product", "x"),
    ]


def test_an_entity_inside_an_order_number_is_dropped() -> None:
    text = "order A7X-99231 is late"
    inside = [{"entity": "waited", "start": 6, "end": 9, "value": "A7X"}]
    assert [e["entity"] for e in details_entities(text, inside)] == ["order_id"]


@pytest.mark.parametrize(("written", "value"), [("80p", 0.8), ("50 cents", 0.5), ("£4", 4.0)])
def test_pence_and_cents_are_worth_a_hundredth(written: str, value: float) -> None:
    assert amounts(f"they took {written} extra") == [written]
    assert money_value(written) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ordered the slim jeans in waist 32 and got a 36", ["waist 32"]),
        ("the hoodie I bought in medium turned up as a small.", ["medium", "small"]),
        ("no, I ordered it in large, not medium", ["large", "medium"]),
        ("size M please", ["size M"]),
        ("UK 8 trainers", ["UK 8"]),
        ("a small scratch on the lid", []),
        ("it came in a small box", []),
    ],
)
def test_sizes_are_found_as_given_and_never_in_ordinary_words(text, expected):
    assert [found.value for found in find_sizes(text)] == expected
