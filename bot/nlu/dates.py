"""Dates the customer gave, in their words, and what happened on them: a delivery that was
due ("it was due on Thursday"), an item sent back ("returned it on 3 March"), and for a
wrong booking the date booked and the date on what was sent ("you sent me tickets for the
14th but I booked the 15th").

Pure functions, used by the NLU component that sets the ``due_on`` and ``returned_on``
entities, and ``booked_for`` / ``sent_for`` (bot/nlu/detail_extractor.py); the
restatement says them back ("your order #48213 was due on Thursday and hasn't arrived
yet", "you were sent the tickets for the 14th instead of the 15th"). No rasa import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_ORDINAL = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)"
_DATE = re.compile(
    rf"\b(?:(?:on|by|last|this|this\s+past)\s+)?{_WEEKDAY}\b"
    rf"|\b(?:on\s+|by\s+)?(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}\b"
    rf"|\b(?:on\s+|by\s+)?{_MONTH}\s+{_DAY}\b"
    rf"|\b(?:on\s+|by\s+)?the\s+{_ORDINAL}\b"
    r"|\b(?:on\s+|by\s+)?(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])(?:/(?:\d{2}|\d{4}))?\b"
    r"|\byesterday\b|\blast\s+week\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?;]")
_DUE_BEFORE = re.compile(
    r"\b(?:due|expected|promised|supposed\s+to|meant\s+to|should\s+have|scheduled|booked"
    r"|estimated|delivery\s+date|slot)\b[^.!?;]{0,40}$",
    re.IGNORECASE,
)
_RETURNED_BEFORE = re.compile(
    r"\b(?:returned|sent\s+(?:\w+\s+){0,3}back|posted\s+(?:\w+\s+){0,3}back"
    r"|dropped\s+(?:\w+\s+){0,3}off|took\s+(?:\w+\s+){0,3}back)\b[^.!?;]{0,40}$",
    re.IGNORECASE,
)
_BOOKED_BEFORE = re.compile(
    r"\b(?:(?:booked|reserved|paid for|asked for|wanted|chose|picked|selected)"
    r"(?:\s+(?!on\b|in\b|at\b)[\w']+){0,3}?"
    r"|(?:ordered|bought)(?:\s+(?!on\b)[\w']+){0,3}?\s+for)\s+(?:for\s+)?$",
    re.IGNORECASE,
)
"""Right before the date booked: "I booked the 15th", "ordered seats for Friday"; never
the day it was ordered ("I ordered it on Monday")."""
_SENT_BEFORE = re.compile(
    r"\b(?:sent|got|received|issued|gave|given|emailed)(?:\s+[\w']+){0,4}?\s+for\s+$"
    r"|\b(?:tickets?|seats?|booking|reservation|confirmation|voucher)\s+(?:[\w']+\s+){0,2}?"
    r"(?:is|are|was|were|says?|said|shows?)\s+(?:for\s+)?$"
    r"|\bdated\s+$",
    re.IGNORECASE,
)
"""Right before the date on what came: "sent me tickets for the 14th", "the tickets say
Sunday"."""
_DELIVERY = re.compile(r"\b(?:deliver\w*|slot|arriv\w*|courier|parcel|driver)\b", re.IGNORECASE)
"""A clause about a delivery: its booked date is when it was due."""
_SAYS_WHEN = re.compile(r"^(?:on|by|last|this|yesterday|since)\b", re.IGNORECASE)

DateKind = Literal["due", "returned", "booked", "sent"]


@dataclass(frozen=True)
class SaidDate:
    value: str
    """As said, ready to follow a verb: "on Thursday", "last Tuesday", "on 3 March"; a
    date booked or sent as written ("the 15th", "Friday")."""
    start: int
    end: int
    kind: DateKind


def _kind(before: str, said: str) -> DateKind | None:
    clause = _CLAUSE_END.split(before)[-1]
    if not _DELIVERY.search(clause) and not _SAYS_WHEN.match(said):
        if _SENT_BEFORE.search(clause):
            return "sent"
        if _BOOKED_BEFORE.search(clause):
            return "booked"
    returned = _RETURNED_BEFORE.search(clause)
    due = _DUE_BEFORE.search(clause)
    if returned and (not due or returned.start() > due.start()):
        return "returned"
    return "due" if due else None


def find_dates(text: str) -> list[SaidDate]:
    """The dates of ``text`` that say when a delivery was due or an item went back; each
    needs its own word for that since the date before it ("due on the 3rd, it's now the
    10th" is one due date)."""
    found = []
    since = 0
    for match in _DATE.finditer(text):
        said = " ".join(match.group(0).split())
        kind = _kind(text[since : match.start()], said)
        since = match.end()
        if kind is None:
            continue
        value = said if kind in ("booked", "sent") or _SAYS_WHEN.match(said) else f"on {said}"
        found.append(SaidDate(value, match.start(), match.end(), kind))
    return found
