"""Dates a delivery was due or an item went back (bot/nlu/dates.py), in the customer's
words, and only those: other dates and numbers are not read."""

from __future__ import annotations

import pytest

from bot.nlu.dates import find_dates
from bot.nlu.detail_extractor import details_entities


def read(text: str) -> list[tuple[str, str]]:
    return [(found.value, found.kind) for found in find_dates(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order still hasn't turned up and it was meant to be here on Friday",
         [("on Friday", "due")]),
        ("still waiting on #55120, it was due Monday", [("on Monday", "due")]),
        ("the sofa was supposed to arrive last Tuesday", [("last Tuesday", "due")]),
        ("delivery date was the 14th and nothing", [("on the 14th", "due")]),
        ("expected by 3 March, it's now the 10th", [("by 3 March", "due")]),
        ("I returned the boots on 1 Feb and the refund hasn't come", [("on 1 Feb", "returned")]),
        ("sent them back 12/04 and still no money", [("on 12/04", "returned")]),
        ("posted the jacket back yesterday", [("yesterday", "returned")]),
    ],
)  # fmt: skip
def test_a_due_or_return_date_is_read_in_the_customers_words(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I ordered it on Monday and it arrived broken",  # ordered: not what the problem hangs on
        "returned the 2 pairs of jeans",
        "my daughter's birthday is on the 3rd",
        "I ordered it on the 2nd and paid by card",
    ],
)
def test_other_dates_and_numbers_are_not_read(text: str) -> None:
    assert read(text) == []


def test_the_entities_are_named_for_what_happened_on_the_date() -> None:
    entities = details_entities("it was due on Thursday. I sent the old one back on 2 May", [])
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("due_on", "on Thursday"),
        ("returned_on", "on 2 May"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you sent me train tickets for the 14th but I booked the 15th",
         [("the 14th", "sent"), ("the 15th", "booked")]),
        ("the tickets say Sunday but I paid for Saturday",
         [("Sunday", "sent"), ("Saturday", "booked")]),
        ("no sorry, I booked the 16th, not the 15th", [("the 16th", "booked")]),
        ("ordered seats for Friday and got seats for Thursday",
         [("Friday", "booked"), ("Thursday", "sent")]),
        ("I booked a delivery slot for Tuesday and nobody came", [("on Tuesday", "due")]),
    ],
)  # fmt: skip
def test_a_wrong_booking_has_the_date_booked_and_the_date_sent(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert read(text) == expected


def test_the_booked_and_sent_dates_set_their_own_entities() -> None:
    entities = details_entities("you sent me tickets for the 14th but I booked the 15th", [])
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("sent_for", "the 14th"),
        ("booked_for", "the 15th"),
    ]
