"""How long, and whether it is a wait or an item's age (bot/nlu/durations.py), and the
``waited`` / ``in_use_for`` entities they become (bot/nlu/detail_extractor.py)."""

from __future__ import annotations

import pytest

from bot.nlu.detail_extractor import details_entities
from bot.nlu.durations import find_durations


def read(text: str) -> list[tuple[str, bool]]:
    return [(found.value, found.in_use) for found in find_durations(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("it's been 10 days and no parcel", [("10 days", False)]),
        ("my delivery is overdue by 9 days", [("9 days", False)]),
        ("i ordered a desk lamp 3 weeks ago", [("3 weeks", False)]),
        ("still nothing after a fortnight", [("a fortnight", False)]),
        ("after 2 weeks still waiting for the hamper", [("2 weeks", False)]),
        ("the parcel still hasn't turned up after 2 weeks", [("2 weeks", False)]),
        ("waiting two weeks for a reply", [("two weeks", False)]),
    ],
)
def test_a_wait_is_a_wait(text: str, expected: list[tuple[str, bool]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sole has come away from my boots after 3 weeks of normal wear", [("3 weeks", True)]),
        ("the strap snapped after only a month", [("a month", True)]),
        ("my 3 month old kettle stopped boiling", [("3 months", True)]),
        ("a two-week old phone that won't charge", [("two weeks", True)]),
        ("it broke within a week", [("a week", True)]),
        ("it died 2 days after I bought it", [("2 days", True)]),
    ],
)
def test_an_items_age_is_how_long_it_was_used(text: str, expected: list[tuple[str, bool]]) -> None:
    assert read(text) == expected


def test_numbers_that_are_not_durations_are_not_read() -> None:
    assert read("order 48213, 2 items, £30") == []
    assert read("the 3-5 working days have passed") == []


def test_the_entities_say_which_is_which() -> None:
    entities = details_entities(
        "the kettle died after 2 weeks and the refund has taken 10 days so far", []
    )
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("in_use_for", "2 weeks"),
        ("waited", "10 days"),
    ]
