"""Reading a customer's correction: what they deny, and which of their words still stand.

"No. It arrived fine and it's not late" denies late delivery and damage; "it was the
blue one, not the red" keeps blue and drops red. The actions use these to *replace*
what the restatement got wrong instead of piling categories up. Pure functions over
text, no rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DENIAL_OPENER = re.compile(
    r"^\W*(?:"
    r"(?:no+|nope|nah|nop)\s*(?:[,.!;:\-]|$)"
    r"|(?:no+|nope|nah)\s+(?:it|that|i|you|the|its|it's|this|not|wait|actually|thats|that's"
    r"|sorry|my|we|they|he|she|it was|was)\b"
    r"|not (?:really|quite|exactly|right|correct)\b"
    r"|(?:wrong|incorrect)\b"
    r"|that(?:'s| is|s) (?:not (?:right|it|correct|what)|wrong|incorrect)\b"
    r"|you(?:'ve| have)? got (?:it|that) wrong\b"
    r")",
    re.IGNORECASE,
)

_ARRIVED_FINE = (
    r"(?:arrived|came|got here|turned up|was delivered|were delivered)\s+"
    r"(?:just\s+)?(?:fine|ok|okay|alright|all right|intact|safely|in one piece|in perfect"
    r" condition|in good condition|undamaged|perfectly|on time|in time|already|yesterday|today)"
)

DENIALS: dict[str, re.Pattern[str]] = {
    "late_delivery": re.compile(
        r"\b(?:not|isn'?t|wasn'?t|never|wasnt|isnt)\s+(?:\w+\s+)?(?:late|delayed|lost|missing)\b"
        rf"|\b{_ARRIVED_FINE}"
        r"|\b(?:it|they|the parcel|the package|the order) did (?:arrive|come)\b"
        r"|\bi (?:got|have|received|'ve got) (?:it|them|the parcel|the package|my order)\b"
        r"|\bnot about (?:the )?deliver(?:y|ies)\b",
        re.IGNORECASE,
    ),
    "damaged_item": re.compile(
        r"\b(?:not|isn'?t|wasn'?t|aren'?t|weren'?t|never|nothing (?:is|was|got|arrived)"
        r"|none of (?:it|them) (?:is|was|were))\s+(?:\w+\s+)?"
        r"(?:damaged|broken|smashed|cracked|dented|scratched|ripped|torn)\b"
        r"|\bno damage\b|\bundamaged\b|\bintact\b|\bin one piece\b|\bin perfect condition\b"
        rf"|\b{_ARRIVED_FINE}",
        re.IGNORECASE,
    ),
    "wrong_item": re.compile(
        r"\b(?:not|isn'?t|wasn'?t)\s+(?:the\s+)?wrong\b"
        r"|\b(?:got|received|it'?s|it is|it was) (?:the )?(?:right|correct)"
        r" (?:item|one|thing|product)\b"
        r"|\bis what i ordered\b",
        re.IGNORECASE,
    ),
    "billing": re.compile(
        r"\b(?:not|wasn'?t|weren'?t|never)\s+(?:\w+\s+)?(?:charged|billed|overcharged)\b"
        r"|\bthe (?:charge|payment|bill) (?:is|was) (?:fine|right|correct|ok)\b"
        r"|\bnot (?:about )?(?:the |a )?(?:charge|billing|payment)\b",
        re.IGNORECASE,
    ),
    "refund": re.compile(
        r"\b(?:don'?t|do not|didn'?t) (?:want|need|ask for) (?:a |my |any )?(?:refund|money back)\b"
        r"|\bnot (?:about |asking for )?(?:a |the )?refund\b",
        re.IGNORECASE,
    ),
    "account_access": re.compile(
        r"\bi can (?:log|sign) in\b|\bnot (?:about )?(?:my |the )?(?:account|login|password)\b",
        re.IGNORECASE,
    ),
    "service": re.compile(
        r"\bnot (?:about )?(?:the |your )?(?:staff|service|way i was treated)\b",
        re.IGNORECASE,
    ),
    "faulty_item": re.compile(
        r"\b(?:works|working|worked) (?:fine|perfectly|ok|okay|well)\b"
        r"|\b(?:not|isn'?t|wasn'?t)\s+(?:faulty|defective)\b",
        re.IGNORECASE,
    ),
    "lost_parcel": re.compile(
        r"\b(?:not|isn'?t|wasn'?t|never)\s+(?:\w+\s+)?lost\b"
        rf"|\b{_ARRIVED_FINE}"
        r"|\bi (?:got|have|received|'ve got) (?:it|them|the parcel|the package|my order)\b",
        re.IGNORECASE,
    ),
    "missing_item": re.compile(
        r"\b(?:nothing|not anything) (?:is|was) missing\b"
        r"|\b(?:everything|it all|all of it) (?:is|was) (?:there|in the box|included)\b",
        re.IGNORECASE,
    ),
    "not_as_described": re.compile(
        r"\b(?:the )?quality (?:is|was) (?:fine|good|great|ok|okay)\b"
        r"|\b(?:it'?s|it is|it was) (?:just )?as (?:described|pictured|advertised)\b",
        re.IGNORECASE,
    ),
    "subscription_charge": re.compile(
        r"\bnot (?:about )?(?:a |the |my )?(?:subscription|renewal|membership)\b",
        re.IGNORECASE,
    ),
    "price_not_applied": re.compile(
        r"\bnot (?:about )?(?:a |the |my )?(?:discount|promo|voucher|code|coupon)\b"
        r"|\bthe (?:discount|code) (?:worked|was applied)\b",
        re.IGNORECASE,
    ),
    "delivery_experience": re.compile(
        r"\b(?:the )?(?:driver|courier) (?:was|is) (?:fine|nice|lovely|polite|great)\b",
        re.IGNORECASE,
    ),
}
"""Phrases that deny a category ("it's not late", "arrived in one piece")."""

_ADDITIVE = re.compile(
    r"\b(?:also|as well|too|another thing|on top of (?:that|this)|plus|and then)\b", re.IGNORECASE
)
_NEGATED_BEFORE = r"(?:\bnot|n't|\bno|\bnever|\binstead of|\brather than)\s+(?:the\s+|a\s+|an\s+)?"


def opens_with_denial(text: str) -> bool:
    """Whether the message starts by saying no ("No. It arrived fine", "nope, it's the
    blue one", "that's wrong"); "No one answers" and "No refund yet" do not."""
    return bool(_DENIAL_OPENER.match(text.strip()))


def denied_categories(text: str, known: Iterable[str] | None = None) -> list[str]:
    """The categories the message says are *not* the problem."""
    allowed = set(known) if known is not None else None
    return [
        category
        for category, pattern in DENIALS.items()
        if pattern.search(text) and (allowed is None or category in allowed)
    ]


def adds_to_complaint(text: str) -> bool:
    """Whether the customer adds a problem ("and also ...") rather than replacing one."""
    return bool(_ADDITIVE.search(text))


def is_negated(text: str, value: str) -> bool:
    """Whether ``value`` is mentioned only as what it is *not* ("not the red", "instead of
    3 days")."""
    escaped = re.escape(value.strip())
    mentions = list(re.finditer(rf"(?<!\w){escaped}(?!\w)", text, re.IGNORECASE))
    if not mentions:
        return False
    negated = re.compile(rf"{_NEGATED_BEFORE}(?:\w+\s+)?$", re.IGNORECASE)
    return all(negated.search(text[: mention.start()]) for mention in mentions)


def standing_value(text: str, values: Iterable[str]) -> str | None:
    """Of the values a message names (in text order), the last one it does not deny."""
    standing = [value for value in values if not is_negated(text, value)]
    return standing[-1] if standing else None


_ORDERED_BEFORE = re.compile(
    r"\b(?:ordered|wanted|asked for|bought|paid for|chose|picked|selected|instead of"
    r"|rather than|should be|should have been|supposed to be|meant to be)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_RECEIVED_BEFORE = re.compile(
    r"\b(?:got|received|sent(?: me)?|came(?: in)?|arrived(?: in)?|delivered|turned up(?: in)?"
    r"|it'?s|they'?re|it is|they are)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def ordered_and_received(text: str, values: Iterable[str]) -> tuple[str | None, str | None]:
    """For a wrong item: the value the customer ordered and the one they received ("I
    ordered a black strap and got a pink one" → black, pink); ``None`` where unclear."""
    ordered: str | None = None
    received: str | None = None
    for value in values:
        pattern = rf"(?<!\w){re.escape(value.strip())}(?!\w)"
        for mention in re.finditer(pattern, text, re.IGNORECASE):
            before = text[: mention.start()]
            if ordered is None and _ORDERED_BEFORE.search(before):
                ordered = value
            elif received is None and _RECEIVED_BEFORE.search(before):
                received = value
    distinct = list(dict.fromkeys(value.lower() for value in values))
    if ordered and not received and len(distinct) == 2:
        # "the dress is red instead of navy": the other one is what came (but not "I
        # ordered green, not black", which denies black).
        other = next(v for v in values if v.lower() != ordered.lower())
        received = None if is_negated(text, other) else other
    return ordered, received
