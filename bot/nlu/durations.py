"""How long, in the customer's words, and what the time is: a wait or an item's age.

"it's been 10 days" and "overdue by 9 days" are a wait ("you've been waiting 10 days");
"stopped working after 3 weeks", "a 2 month old kettle", "within a week of use" are how
long the item was in use before it failed ("stopped working after 3 weeks"). Pure
functions, used by the NLU component that sets the ``waited`` and ``in_use_for``
entities (bot/nlu/detail_extractor.py). No rasa import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COUNT = (
    r"\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few"
    r"|a couple of|several|over a|more than a|almost a|nearly a|just over a|about a"
)
_DURATION = re.compile(
    rf"\b(?P<count>{_COUNT})[\s-]+(?P<unit>days?|weeks?|months?|hours?|years?)\b"
    r"|\b(?P<fortnight>a fortnight)\b",
    re.IGNORECASE,
)
_IN_USE_BEFORE = re.compile(
    r"\b(?:after(?:\s+(?:only|just|about|barely))?|within(?:\s+(?:only|just))?"
    r"|in\s+(?:only|just|under|less\s+than))\s+$",
    re.IGNORECASE,
)
_IN_USE_AFTER = re.compile(
    r"^[\s-]*(?:old\b|of\s+(?:use|using|wear|normal\s+wear|wearing|owning)"
    r"|later\b|after\s+(?:i|we)\s+(?:bought|got|received|had)|in\s+use\b)",
    re.IGNORECASE,
)
_STILL_WAITING = re.compile(
    r"\b(?:still|yet|waiting|wait|not\s+(?:here|arrived|come)|hasn'?t|haven'?t|no\s+sign|nothing"
    r"|in\s+transit|overdue|late|refund)\b",
    re.IGNORECASE,
)
"""Around "after 2 weeks" in its clause, these words mean the wait goes on ("still
nothing after 2 weeks")."""
_CLAUSE_END = re.compile(r"[.!?;,]|\band\b|\bbut\b", re.IGNORECASE)
_SPELLED = {"a", "an", "one"}


@dataclass(frozen=True)
class Duration:
    value: str
    """As the customer wrote it, a plural unit made plural ("3 month" -> "3 months")."""
    start: int
    end: int
    in_use: bool
    """How long the item was used before the problem, not how long the customer waited."""


def _as_said(count: str, unit: str) -> str:
    plural = count.lower() not in _SPELLED and not unit.lower().endswith("s")
    return f"{count} {unit}{'s' if plural else ''}"


def _is_in_use(text: str, start: int, end: int) -> bool:
    before, after = text[:start], text[end:]
    if _IN_USE_AFTER.search(after):
        return True
    if not _IN_USE_BEFORE.search(before):
        return False
    clause_before = _CLAUSE_END.split(before)[-1]
    clause_after = _CLAUSE_END.split(after, maxsplit=1)[0]
    return not _STILL_WAITING.search(f"{clause_before} {clause_after}")


def find_durations(text: str) -> list[Duration]:
    """Every duration in ``text`` with whether it is an item's age or a wait."""
    found = []
    for match in _DURATION.finditer(text):
        if match.group("fortnight"):
            value = match.group("fortnight")
        else:
            value = _as_said(match.group("count"), match.group("unit"))
        start, end = match.start(), match.end()
        found.append(Duration(value, start, end, _is_in_use(text, start, end)))
    return found
