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
