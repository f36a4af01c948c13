"""Order numbers and money amounts, found in a message by their shape and their context.

Pure functions over text, shared by the NLU component that sets the ``order_id`` and
``amount`` entities (bot/nlu/detail_extractor.py), by the authority rule that reads
amounts (bot/authority.py) and by ``make eval-nlu``. No rasa import.

Order numbers are 4-20 characters of letters, digits and dashes ("48213", "0000458812",
"A7X-99231", "112-4567890-1234567"). A number counts as one when the customer calls it
one ("order 4821", "#4821", "No. 4821", "booking ref BK2291") or, without such a word,
when its shape can only be an order number (five or more digits, or letters mixed with
digits). A phone number, postcode, date, time, amount, quantity or year never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_BODY = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+){0,4}"
_ID_CANDIDATE = re.compile(
    rf"(?:(?<=\bno\.)|(?<![\w$€£.,/:+-]))(#\s?)?({_ID_BODY})(?![\w]|[.,/:]\d|-\w)", re.IGNORECASE
)

_ORDER_WORDS = (
    r"(?:order|ordr|oder|ordre)(?:\s+(?:no\.?|num(?:ber)?|id|ref(?:erence)?|#))?",
    r"purchase(?:\s+(?:no\.?|num(?:ber)?|id))?",
    r"booking(?:\s+(?:no\.?|num(?:ber)?|ref(?:erence)?|id|code))?",
    r"reservation(?:\s+(?:no\.?|num(?:ber)?|code))?",
    r"confirmation(?:\s+(?:no\.?|num(?:ber)?|code))?",
    r"invoice(?:\s+(?:no\.?|num(?:ber)?))?",
    r"ref(?:erence)?(?:\s+(?:no\.?|num(?:ber)?|code))?",
    r"transaction(?:\s+(?:no\.?|id))?",
    r"tracking(?:\s+(?:no\.?|num(?:ber)?|id|code))?",
    r"ticket(?:\s+(?:no\.?|num(?:ber)?|ref))?",
    r"subscription(?:\s+(?:no\.?|id))?",
    r"account(?:\s+(?:no\.?|num(?:ber)?))?",
    r"parcel(?:\s+(?:no\.?|num(?:ber)?))?",
    r"no\.",
    r"nr\.?",
    r"ord",
    r"po",
)
_ORDER_CONTEXT = re.compile(
    r"(?:\b(?:" + "|".join(_ORDER_WORDS) + r"))\s*(?:is|was|=|:|-)?\s*(?:number\s+)?(?:#\s?)?$",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(
    r"\b(?:call|ring|phone|mobile|cell|tel|telephone|whatsapp|text me|reach me|contact me|"
    r"my number|landline|fax)\b[^.!?\n]{0,25}$",
    re.IGNORECASE,
)
_POSTCODE_CONTEXT = re.compile(
    r"\b(?:zip|zip code|postcode|post code|postal code|address|street|st\.|road|rd\.?|"
    r"avenue|ave|flat|apartment|apt|suite|house|delivered to|live in|lives in|living in"
    r"|flight|train|coach|bus|gate|seat|room|platform|row)\b[^.!?\n]{0,20}$",
    re.IGNORECASE,
)
_QUANTITY_AFTER = re.compile(
    r"^\s*(?:x\b|times\b|pieces?\b|items?\b|units?\b|pcs\b|points?\b|miles?\b|km\b|kg\b|g\b|"
    r"grams?\b|ml\b|mah\b|w\b|watts?\b|gb\b|tb\b|mb\b|hz\b|rpm\b|calories\b|steps\b|"
    r"followers\b|views\b|pages?\b|words\b|am\b|pm\b|hours?\b|hrs?\b|minutes?\b|mins?\b|"
    r"days?\b|weeks?\b|months?\b|years?\b|people\b|customers\b|orders\b|reviews\b)",
    re.IGNORECASE,
)
_MONEY_AFTER = re.compile(
    r"^\s?(?:dollars?|bucks|quid|pounds?|euros?|usd|eur|gbp|cad|aud|p\b|pence|cents?)\b",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(r"(?:[$€£]|\b(?:usd|eur|gbp|cad|aud)\s?)$", re.IGNORECASE)
_UK_POSTCODE = re.compile(r"^[A-Za-z]{1,2}\d[A-Za-z\d]?$")
_PHONE_SHAPE = re.compile(r"^(?:\d{3}-\d{3}-\d{4}|\d{3}-\d{4}|0[1-9]\d{8,9}|44\d{9,10}|1\d{10})$")
_DATE_SHAPE = re.compile(
    r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4}|\d{1,2}(?:st|nd|rd|th))$", re.IGNORECASE
)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_MEASURE = re.compile(
    r"^\d+(?:x\d+)+(?:cm|mm|m|in)?$"  # 160x230cm
    r"|^\d+(?:cm|mm|kg|gb|tb|mb|ml|mah|w|v|hz|k|p|fps|mp|in|inch|l|g|lbs?|oz|ft)$",  # 128gb
    re.IGNORECASE,
)
_FLIGHT = re.compile(r"^[A-Za-z]{2}\d{3,4}$")
"""BA2490, FR8134: flight and train numbers look like this; an order number named as one
("booking BA2490") still counts."""


def _in_digit_run(before: str, after: str) -> bool:
    """Part of a number written in groups ("+44 7700 900123", "0800 123 4567")."""
    return bool(re.search(r"[\d+]\s$", before) or re.match(r"\s\d", after))


@dataclass(frozen=True)
class Found:
    """A detail found in a message: its value and where it stands in the text."""

    value: str
    start: int
    end: int


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _is_order_shape(body: str, named: bool) -> bool:
    """Whether ``body`` looks like an order number; ``named`` when a word calls it one."""
    if not 4 <= len(body) <= 20 or _DATE_SHAPE.match(body) or (_YEAR.match(body) and not named):
        return False
    if _MEASURE.match(body) or (_FLIGHT.match(body) and not named):
        return False
    digits = _digit_count(body)
    letters = sum(ch.isalpha() for ch in body)
    if digits == 0:
        return False
    if named:
        return digits >= 3 or (letters > 0 and (digits >= 2 or len(body) >= 5))
    if _UK_POSTCODE.match(body):
        return False
    if letters:
        return digits >= 4
    return digits >= 5


def find_order_ids(text: str) -> list[Found]:
    """The order numbers in ``text``, in order, without their ``#`` or ``No.``."""
    found: list[Found] = []
    for match in _ID_CANDIDATE.finditer(text):
        hashed, body = match.group(1), match.group(2)
        before = text[: match.start()]
        after = text[match.end() :]
        named = bool(hashed) or bool(_ORDER_CONTEXT.search(before))
        if _MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after):
            continue
        if after.startswith("%") or _QUANTITY_AFTER.match(after):
            continue
        if not named and (_PHONE_CONTEXT.search(before) or _POSTCODE_CONTEXT.search(before)):
            continue
        if not named and (_PHONE_SHAPE.match(body) or _in_digit_run(before, after)):
            continue
        if _is_order_shape(body, named):
            found.append(Found(body, match.start(2), match.end(2)))
    return found


_NUMBER = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?"  # 1,299.99
    r"|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?"  # 1.299,00
    r"|\d+(?:[.,]\d{1,2})?"  # 40 / 12.99 / 12,50
)
_CURRENCY_WORD = r"dollars?|bucks|quid|pounds?|euros?|usd|eur|gbp|cad|aud|pence|cents?"
_AMOUNT = re.compile(
    rf"(?:[$€£]\s?(?:{_NUMBER})(?:\s?(?:k|m)\b)?)"
    rf"|(?:\b(?:usd|eur|gbp|cad|aud)\s?(?:{_NUMBER})\b)"
    rf"|(?:\b(?:{_NUMBER})\s?(?:[€£$]|(?:{_CURRENCY_WORD})\b))"
    rf"|(?:\b\d{{1,3}}(?:[.,]\d{{1,2}})?\s?(?:%|percent\b|per cent\b))"
    r"|(?:\b\d{1,2}p\b)",  # pence: "80p" (never "720p", a screen)
    re.IGNORECASE,
)
_VALUE = re.compile(_NUMBER)


def find_amounts(text: str) -> list[Found]:
    """Money amounts and percentages as written: ``$1,299.99``, ``40 quid``, ``EUR 40``, ``20%``."""
    return [Found(m.group(0).strip(), m.start(), m.end()) for m in _AMOUNT.finditer(text)]


def number_value(written: str) -> float | None:
    """The number in an amount as written: ``"£1,299.99"`` → 1299.99, ``"€1.299,00"`` → 1299.0,
    ``"12,50 EUR"`` → 12.5, ``"40 quid"`` → 40.0."""
    match = _VALUE.search(written)
    if not match:
        return None
    number = match.group(0)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", number):
        return float(number.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", number):
        return float(number.replace(".", "").replace(",", "."))
    return float(number.replace(",", "."))


def is_percentage(written: str) -> bool:
    return bool(re.search(r"%|percent|per cent", written, re.IGNORECASE))


_SUBUNIT = re.compile(r"\d\s?(?:p|pence|cents?)$", re.IGNORECASE)


def money_value(written: str) -> float | None:
    """The amount in the currency's main unit: ``"80p"`` and ``"80 cents"`` → 0.8."""
    value = number_value(written)
    if value is not None and _SUBUNIT.search(written.strip()):
        return round(value / 100, 2)
    return value


_SIZE_WORDS = r"extra small|extra large|x-large|x-small|small|medium|large|xxs|xs|xl|xxl|xxxl"
_SIZE_END = (
    r"(?=\s*(?:[.,!?;)]|$|\s(?:and|but|instead|not|one|size|rather|when|which|so|though|order"
    r"|turned|came|arrived|was|is|fits|please|pls|\d)))"
)
_SIZE = re.compile(
    r"\b(?P<plain>(?:size|sz)\s+(?:xxs|xs|s|m|l|xl|xxl|xxxl|\d{1,2}(?:\.5)?)\b"
    r"|waist\s?\d{2}\b|(?:uk|eu|us)\s?\d{1,2}(?:\.5)?\b)"
    rf"|\b(?:in|as|not|ordered|bought|got|sent|received)\s+(?:an?\s+|the\s+)?(?P<word>{_SIZE_WORDS})"
    + _SIZE_END,
    re.IGNORECASE,
)


def find_sizes(text: str) -> list[Found]:
    """Clothing sizes as the customer gave them: ``size M``, ``waist 32``, ``UK 8``,
    ``medium`` (after "in", "as", "ordered", "got"); never "a small scratch"."""
    found = []
    for match in _SIZE.finditer(text):
        group = "plain" if match.group("plain") else "word"
        found.append(Found(match.group(group), match.start(group), match.end(group)))
    return found
