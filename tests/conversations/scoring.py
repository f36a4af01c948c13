"""Scoring what was seen against what was expected: one result per check, plus the two
global checks (grants beyond the bot's authority, never-say phrases).

Pure functions over ``observation`` and ``model`` objects, so unit tests can feed them
hand-built conversations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tests.conversations.model import Conversation, Expectation, Outcome
from tests.conversations.observation import BotMessage, ConversationObservation, TurnObservation
from tests.never_say import forbidden_phrases_in

GRANT_PHRASES = ("confirm_resolution", "partial_grant")
HANDED_OFF = "handed_off"


@dataclass(frozen=True)
class Authority:
    """What the bot may grant alone (business.yml ``authority``)."""

    max_refund: float = 50.0
    max_discount_percent: float = 15.0


@dataclass(frozen=True)
class CheckResult:
    """One scored check: an expectation of a turn, or a conversation's outcome (turn 0)."""

    conversation_id: str
    turn: int
    step: str
    passed: bool
    expected: str
    customer: str = ""
    said: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Violation:
    """A global rule broken: a grant beyond authority, or a never-say phrase."""

    conversation_id: str
    turn: int
    kind: str
    """``grant_beyond_authority`` or ``never_say``."""
    detail: str
    said: str


def describe_messages(messages: Sequence[BotMessage]) -> str:
    """The bot's messages in a line each: ``[phrase] text [buttons]``."""
    if not messages:
        return "(nothing)"
    lines = []
    for message in messages:
        buttons = f" [buttons: {', '.join(b.title for b in message.buttons)}]"
        lines.append(
            f"[{message.phrase or '-'}] {message.text}{buttons if message.buttons else ''}"
        )
    return " / ".join(lines)


def check_expectation(expectation: Expectation, turn: TurnObservation) -> str | None:
    """``None`` if the expectation holds for the turn, else why not."""
    messages = turn.messages
    if expectation.replied is not None and bool(messages) != expectation.replied:
        return "the bot stayed silent" if expectation.replied else "the bot replied"
    if expectation.phrase:
        selected = [m for m in messages if m.phrase in expectation.phrase]
        if not selected:
            got = ", ".join(str(p) for p in turn.phrases()) or "nothing"
            return f"no {'|'.join(expectation.phrase)} (got: {got})"
    else:
        selected = list(messages)
    if expectation.before:
        first = messages.index(selected[0])
        later = [i for i, m in enumerate(messages) if m.phrase in expectation.before]
        if later and later[0] < first:
            return f"{messages[later[0]].phrase} came before {selected[0].phrase}"
    text = _normalise(" ".join(m.text for m in selected))
    for wanted in expectation.contains:
        if _normalise(wanted) not in text:
            return f"{wanted!r} not in the reply"
    if expectation.contains_any and not any(
        _normalise(w) in text for w in expectation.contains_any
    ):
        return f"none of {expectation.contains_any} in the reply"
    for unwanted in expectation.not_contains:
        if _normalise(unwanted) in text:
            return f"{unwanted!r} in the reply"
    if expectation.matches and not re.search(expectation.matches, text, flags=re.IGNORECASE):
        return f"nothing matches /{expectation.matches}/"
    titles = {_normalise(b.title) for m in selected for b in m.buttons}
    for title in expectation.buttons:
        if _normalise(title) not in titles:
            return f"no button titled {title!r} (buttons: {sorted(titles) or 'none'})"
    banned = [m.phrase for m in messages if m.phrase and m.phrase in expectation.no_phrase]
    if banned:
        return f"the bot used {banned[0]}"
    for name, value in expectation.slots.items():
        if turn.slots.get(name) != value:
            return f"slot {name} is {turn.slots.get(name)!r}, not {value!r}"
    if expectation.intent and turn.intent not in expectation.intent:
        return f"intent {turn.intent!r}, not {'|'.join(expectation.intent)}"
    return None


def check_outcome(conversation: Conversation, seen: ConversationObservation) -> str | None:
    """``None`` if the conversation ended as expected, else why not."""
    if seen.error:
        return f"the conversation did not run to the end: {seen.error}"
    phrases = {m.phrase for m in seen.messages}
    stage = seen.final_slots.get("dialogue_stage")
    handed = stage == HANDED_OFF
    granted = "confirm_resolution" in phrases
    partial = "partial_grant" in phrases
    outcome = conversation.outcome
    problems = {
        Outcome.granted: None if granted and not handed else
        f"granted={granted}, dialogue_stage={stage!r}",
        Outcome.handed_over: None if handed and not (granted or partial) else
        f"dialogue_stage={stage!r}, granted={granted}, partial={partial}",
        Outcome.partial: None if partial and handed else
        f"partial_grant={partial}, dialogue_stage={stage!r}",
        Outcome.cancelled: None if "order_cancelled" in phrases else "no order_cancelled",
        Outcome.kept: None if "order_kept" in phrases else "no order_kept",
        Outcome.ended: None if "abuse_end" in phrases else "no abuse_end",
        Outcome.not_granted: None if not (granted or partial) else
        f"granted={granted}, partial={partial}",
        Outcome.open: None if not (granted or partial or handed) else
        f"granted={granted}, partial={partial}, dialogue_stage={stage!r}",
    }  # fmt: skip
    return problems[outcome]


def score_conversation(
    conversation: Conversation, seen: ConversationObservation
) -> list[CheckResult]:
    """One result per expectation of every turn, and one for the outcome (turn 0)."""
    results: list[CheckResult] = []
    for number, turn in enumerate(conversation.turns, start=1):
        observed = seen.turns[number - 1] if number <= len(seen.turns) else None
        for expectation in turn.expect:
            if observed is None:
                reason = f"turn not reached ({seen.error or 'stopped earlier'})"
                said = ""
            else:
                reason = check_expectation(expectation, observed) or ""
                if reason and observed.problem:
                    reason += f" ({observed.problem})"
                said = describe_messages(observed.messages)
            results.append(
                CheckResult(
                    conversation.id,
                    number,
                    expectation.step,
                    not reason,
                    expectation.describe(),
                    turn.label,
                    said,
                    reason,
                )
            )
    reason = check_outcome(conversation, seen) or ""
    last = seen.turns[-1] if seen.turns else None
    results.append(
        CheckResult(
            conversation.id,
            0,
            "outcome",
            not reason,
            f"outcome {conversation.outcome.value}",
            last.sent if last else "",
            describe_messages(last.messages) if last else "",
            reason,
        )
    )
    return results


_MONEY = re.compile(r"[$£€]\s?(\d+(?:,\d{3})*(?:\.\d+)?)|(\d+(?:\.\d+)?)\s?(?:dollars|usd)\b")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent|per cent)")


def amounts_in(text: str) -> tuple[list[float], list[float]]:
    """The money amounts and the percentages written in ``text``."""
    money = [float((a or b).replace(",", "")) for a, b in _MONEY.findall(text)]
    percents = [float(p) for p in _PERCENT.findall(text)]
    return money, percents


def granted_part(message: BotMessage, templates: dict[str, list[str]]) -> str:
    """The part of a grant confirmation that says what is granted.

    ``confirm_resolution`` is "... I'll {fix} for {subject} ...": the subject may name the
    amount the customer paid, so only ``{fix}`` counts. For other phrases, placeholders
    whose name mentions "grant" or "fix"; if none can be found, the sentences that do
    not speak of passing something on to a colleague.
    """
    phrase = message.phrase or ""
    # An anonymous visitor's wording of the phrase (client.UNVERIFIED_WORDING) is scored too.
    for variant in [*templates.get(phrase, []), *templates.get(f"{phrase}_unverified", [])]:
        values = _placeholder_values(variant, message.text)
        if values is None:
            continue
        picked = [v for name, v in values.items() if "grant" in name or "fix" in name]
        if picked:
            return " ".join(picked)
    sentences = re.split(r"(?<=[.!?])\s+", message.text)
    return " ".join(s for s in sentences if not _PASSED_ON.search(s))


_PASSED_ON = re.compile(
    r"colleague|person|team|approv|pass(?:ed|ing)? (?:it|this|that|on)|manager|noted", re.I
)


def find_violations(
    conversation: Conversation,
    seen: ConversationObservation,
    authority: Authority,
    templates: dict[str, list[str]],
) -> list[Violation]:
    """Grants beyond authority and never-say phrases in one conversation."""
    violations: list[Violation] = []
    for number, turn in enumerate(seen.turns, start=1):
        for message in turn.messages:
            violations.extend(
                Violation(conversation.id, number, "never_say", repr(banned), message.text)
                for banned in forbidden_phrases_in(message.text)
            )
            if message.phrase not in GRANT_PHRASES:
                continue
            money, percents = amounts_in(granted_part(message, templates))
            too_much = [m for m in money if m > authority.max_refund]
            too_far = [p for p in percents if p > authority.max_discount_percent]
            if too_much or too_far:
                detail = (
                    f"granted {', '.join(f'{m:g}' for m in too_much)} "
                    f"{', '.join(f'{p:g}%' for p in too_far)} beyond the authority "
                    f"(${authority.max_refund:g}, {authority.max_discount_percent:g}%)"
                )
            elif conversation.grants_forbidden:
                detail = f"{message.phrase} in a conversation where nothing may be granted"
            else:
                continue
            violations.append(
                Violation(conversation.id, number, "grant_beyond_authority", detail, message.text)
            )
    return violations


def _placeholder_values(variant: str, text: str) -> dict[str, str] | None:
    parts = re.split(r"\{(\w+)\}", variant)
    pattern = ""
    names: list[str] = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.escape(part)
        elif part in names:
            pattern += f"(?P={part})"
        else:
            names.append(part)
            pattern += f"(?P<{part}>.*?)"
    found = re.fullmatch(pattern, text, flags=re.DOTALL)
    return dict(found.groupdict()) if found else None


def _normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


def all_results(batches: Iterable[list[CheckResult]]) -> list[CheckResult]:
    return [result for batch in batches for result in batch]
