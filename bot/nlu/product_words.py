"""The customer's own words for a product: "almond milk", "gaming mouse", "noise cancelling
headphones", where the product lookup table knows only "milk", "mouse", "headphones".

The words just before a product from the lookup are kept with it when they name a kind
of that product (a material, a use, a brand), and never when they are a determiner, a
number, a colour, a size or a word about its state ("my new kettle", "the broken lamp",
"2 blue mugs" stay "kettle", "lamp", "mugs"). Pure functions. No rasa import.
"""

from __future__ import annotations

import re

MAX_MODIFIERS = 2
_WORD_BEFORE = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z-]*)\s+$")
"""The word just before, standing on its own ("64GB tablet" and "Sainsbury's fish" have
none: the product keeps its lookup word)."""
_NOT_A_KIND_ENDING = re.compile(r"(?:ed|[a-z]{2}est)$", re.IGNORECASE)
"""Past participles and superlatives describe the item: "cancelled flight", "smoothest"."""
_NOT_A_KIND_WORDS = """
    a an the my our your their his her its this that these those some any each every
    one two three four five six seven eight nine ten both few several many more most
    of for from in on at to by with without and or but not no nor so than as
    i me we you he she it they them us im ive id
    is was are were be been being has have had do did does get got getting
    ordered order bought buy received receive sent send returned return paid pay
    want wanted need needed like liked love loved hate hated use used using
    new old brand broken damaged faulty cracked smashed dented torn ripped scratched
    wrong right correct same other another different whole entire replacement spare
    first second third last next extra free cheap expensive nice lovely beautiful great
    good bad terrible awful horrible rubbish useless
    big small large little huge tiny medium tall short long wide narrow
    mini size colour color model version kind type sort style shade flavour flavor
    actual real original genuine matching per
    can could would will should shall may might must someone somebody anyone anybody
    everyone nobody person staff member people
    dont doesnt didnt isnt wasnt cant wont havent hasnt arent werent
    inch inches cm mm metre meter metres meters ft foot feet litre liter litres liters
    kg g gb tb mb lb lbs ml pack piece pieces seater
    hi hello hey hiya dear thanks thank please ok okay yes yeah yep so just also still
    only even really very too quite again now then today yesterday literally actually
    black white red blue green yellow pink purple orange grey gray brown navy beige
    cream gold silver teal khaki maroon burgundy turquoise charcoal lilac
"""
_NOT_A_KIND = frozenset(_NOT_A_KIND_WORDS.split())
"""Words that never name a kind of product. Colours and sizes have entities of their own."""


def product_words(text: str, start: int, not_before: int = 0) -> int:
    """Where the customer's words for the product at ``start`` begin: ``start`` moved
    back over up to ``MAX_MODIFIERS`` words that name a kind of it, never before
    ``not_before`` (the end of another detail: "wrong size" is not part of "trainers")."""
    begin = start
    for _ in range(MAX_MODIFIERS):
        match = _WORD_BEFORE.search(text[not_before:begin])
        word = match.group(1) if match else ""
        if not word or word.lower() in _NOT_A_KIND or _NOT_A_KIND_ENDING.search(word):
            break
        begin = not_before + match.start(1)
    return begin


def as_written(text: str, begin: int, end: int) -> str:
    """The product words as written, a capital that only starts the sentence made small
    ("Train tickets never came" -> "train tickets")."""
    words = text[begin:end]
    starts_sentence = not text[:begin].strip() or text[:begin].rstrip().endswith((".", "!", "?"))
    first = words.split()[0]
    if starts_sentence and first[:1].isupper() and not first.isupper():
        return words[:1].lower() + words[1:]
    return words
