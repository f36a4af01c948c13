"""The customer's own words for a product (bot/nlu/product_words.py): the kind of it
before the lookup's word is kept, the state of it and other details never are."""

from __future__ import annotations

import pytest

from bot.nlu.detail_extractor import with_product_words


def product_said(text: str, lookup_word: str, others: tuple[tuple[str, str], ...] = ()) -> str:
    start = text.index(lookup_word)
    entities = [{"entity": "product", "start": start, "end": start + len(lookup_word),
                 "value": lookup_word}]  # fmt: skip
    for name, said in others:
        at = text.index(said)
        entities.append({"entity": name, "start": at, "end": at + len(said), "value": said})
    entities.sort(key=lambda e: e["start"])
    found = with_product_words(text, entities)
    return next(e["value"] for e in found if e["entity"] == "product")


@pytest.mark.parametrize(
    ("text", "lookup_word", "said"),
    [
        ("no - it was almond milk I ordered, not oat milk", "milk", "almond milk"),
        ("my gaming mouse arrived with the wheel snapped", "mouse", "gaming mouse"),
        ("the noise cancelling headphones keep cutting out", "headphones",
         "noise cancelling headphones"),
        ("Train tickets never came", "tickets", "train tickets"),
        ("where are my AirPods", "AirPods", "AirPods"),
    ],
)  # fmt: skip
def test_the_kind_of_product_is_kept_in_the_customers_words(
    text: str, lookup_word: str, said: str
) -> None:
    assert product_said(text, lookup_word) == said


@pytest.mark.parametrize(
    ("text", "lookup_word"),
    [
        ("my new kettle stopped working", "kettle"),
        ("the broken lamp is still here", "lamp"),
        ("the cancelled flight was never refunded", "flight"),
        ("got a 64GB tablet instead", "tablet"),
        ("Sainsbury's fish was off", "fish"),
        ("a 55 inch TV with a crack", "TV"),
        ("can someone phone me back", "phone"),
        ("the jacket doesnt suit me", "suit"),
        ("hi kettle arrived broken", "kettle"),
    ],
)
def test_words_about_its_state_size_or_anything_else_are_not(text: str, lookup_word: str) -> None:
    assert product_said(text, lookup_word) == lookup_word


def test_another_detail_before_the_product_is_never_taken_into_it() -> None:
    text = "no instructions wardrobe, 200 pieces"
    assert product_said(text, "wardrobe") == "instructions wardrobe"  # without the detail
    assert product_said(text, "wardrobe", (("problem", "no instructions"),)) == "wardrobe"
