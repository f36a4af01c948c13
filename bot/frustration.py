"""How frustrated the customer sounds, turn by turn, and whether it keeps rising.

Each user message gets a score in [0, 1]:

* **negativity**: ``max(0, -compound)`` from VADER (so positive or neutral text adds 0);
* **+0.35** when the NLU intent is ``vent`` (the model saw pure emotion);
* **+0.20** for shouting: at least two ALL-CAPS words (of two or more letters) that are
  more than half of those words (``"WHERE IS MY ORDER"``; not ``"a TV from LG"``);
* **+0.10** for repeated ``!``/``?`` (``"!!"``, ``"??"``, ``"?!"``);
* **+0.15** for having to repeat oneself (``"again"``, ``"third time"``, ``"how many
  times"``, ``"already told"``, ``"still waiting"``, ``"still nothing"``);

clamped to [0, 1]. VADER misses the last three when the words themselves are neutral.

No rasa import: the functions read tracker events as plain dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Direction = Literal["rising", "steady", "falling"]

VENT_BOOST = 0.35
SHOUTING_BOOST = 0.20
PUNCTUATION_BOOST = 0.10
REPETITION_BOOST = 0.15

TREND_WINDOW = 4
"""How many of the latest scores the direction is fitted over."""
DEAD_BAND = 0.05
"""A fitted slope (score change per turn) within ±this is ``steady``."""

ATTEMPT_PHRASES = frozenset(
    {
        "restate_complaint",
        "state_limits",
        "propose_fix",
        "propose_only_fix",
        "acknowledge_vent",
        "ask_to_rephrase",
        "clarify_fair_ask",
    }
)
"""Phrase keys (``metadata.phrase`` of a bot event) that count as the bot trying to help."""

_WORD = re.compile(r"[^\W\d_]+")
_REPEATED_MARKS = re.compile(r"[!?]{2,}")
_REPETITION = re.compile(
    r"\b(?:again|how many times|(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time"
    r"|already (?:told|said|asked|explained|sent)|still (?:waiting|nothing))\b",
    re.IGNORECASE,
)


class FrustrationMeter:
    """Scores one user message; the VADER analyser is created on first use."""

    def __init__(self) -> None:
        self._analyzer: SentimentIntensityAnalyzer | None = None

    def _vader(self) -> SentimentIntensityAnalyzer:
        if self._analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def turn_score(self, text: str, intent: str | None) -> float:
        """How frustrated this message sounds, from 0 (calm or pleased) to 1."""
        compound = float(self._vader().polarity_scores(text)["compound"])
        score = max(0.0, -compound)
        if intent == "vent":
            score += VENT_BOOST
        if _is_shouting(text):
            score += SHOUTING_BOOST
        if _REPEATED_MARKS.search(text):
            score += PUNCTUATION_BOOST
        if _REPETITION.search(text):
            score += REPETITION_BOOST
        return min(1.0, max(0.0, score))


def _is_shouting(text: str) -> bool:
    words = [word for word in _WORD.findall(text) if len(word) >= 2]
    capitals = [word for word in words if word.isupper()]
    return len(capitals) >= 2 and len(capitals) * 2 > len(words)


def _slope(values: list[float]) -> float:
    """The least-squares slope of ``values`` against 0, 1, 2, …"""
    count = len(values)
    if count < 2:
        return 0.0
    mean_x = (count - 1) / 2
    mean_y = sum(values) / count
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    variance = sum((x - mean_x) ** 2 for x in range(count))
    return covariance / variance


@dataclass(frozen=True)
class FrustrationTrend:
    """The scores of the customer's messages, oldest first."""

    scores: tuple[float, ...] = ()

    @property
    def latest(self) -> float:
        return self.scores[-1] if self.scores else 0.0

    @property
    def peak(self) -> float:
        return max(self.scores, default=0.0)

    @property
    def direction(self) -> Direction:
        """Fitted over the last ``TREND_WINDOW`` scores, with a ``DEAD_BAND``."""
        slope = _slope(list(self.scores[-TREND_WINDOW:]))
        if slope > DEAD_BAND:
            return "rising"
        if slope < -DEAD_BAND:
            return "falling"
        return "steady"

    def to_json(self) -> dict[str, Any]:
        return {
            "scores": [round(score, 2) for score in self.scores],
            "direction": self.direction,
            "latest": round(self.latest, 2),
            "peak": round(self.peak, 2),
        }


def _user_turn(event: dict[str, Any]) -> tuple[str, str | None] | None:
    """(text, intent) of a user event worth scoring; None for buttons (``/intent``) and blanks."""
    if event.get("event") != "user":
        return None
    text = str(event.get("text") or "").strip()
    if not text or text.startswith("/"):
        return None
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return text, intent if isinstance(intent, str) else None


def _scores(events: Iterable[dict[str, Any]], meter: FrustrationMeter) -> tuple[float, ...]:
    turns = (_user_turn(event) for event in events)
    return tuple(meter.turn_score(text, intent) for text, intent in filter(None, turns))


def measure_trend(events: list[dict[str, Any]], meter: FrustrationMeter) -> FrustrationTrend:
    """The frustration of every scorable user message in the tracker events."""
    return FrustrationTrend(_scores(events, meter))


def _attempt_turns(events: list[dict[str, Any]]) -> list[int]:
    """Event index of the first attempt in each bot turn that made one."""
    starts: list[int] = []
    counted_this_turn = False
    for index, event in enumerate(events):
        if event.get("event") == "user":
            counted_this_turn = False
        elif event.get("event") == "bot" and not counted_this_turn:
            phrase = (event.get("metadata") or {}).get("phrase")
            if phrase in ATTEMPT_PHRASES:
                starts.append(index)
                counted_this_turn = True
    return starts


def still_rising_after_attempts(
    events: list[dict[str, Any]],
    meter: FrustrationMeter,
    attempts_needed: int = 2,
    threshold: float = 0.5,
) -> bool:
    """Whether frustration keeps rising although the bot has tried to help: time for a person.

    True when all three hold:

    1. the bot made at least ``attempts_needed`` attempts: bot turns (the bot messages
       between two user messages) with at least one message whose ``metadata.phrase`` is
       in ``ATTEMPT_PHRASES``; ``state_limits`` and ``propose_fix`` said in one turn
       count once;
    2. the scores of the user messages after the first attempt are rising: their trend's
       ``direction`` is ``"rising"``, or each of the last two is higher than the one
       before it;
    3. the latest of those scores is at least ``threshold``.
    """
    attempts = _attempt_turns(events)
    if len(attempts) < attempts_needed or not attempts:
        return False
    trend = FrustrationTrend(_scores(events[attempts[0] + 1 :], meter))
    scores = trend.scores
    if not scores or trend.latest < threshold:
        return False
    climbing = len(scores) >= 3 and scores[-3] < scores[-2] < scores[-1]
    return trend.direction == "rising" or climbing
