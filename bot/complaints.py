"""Complaint logic that needs no dialogue engine: categories, details, fair asks.

Pure functions over plain values, shared by the actions and (later) the handoff
summary. No rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.business import BusinessRules, Fix

INTENT_CATEGORIES: dict[str, str] = {
    "complain_late_delivery": "late_delivery",
    "complain_damaged_item": "damaged_item",
    "complain_wrong_item": "wrong_item",
    "complain_billing": "billing",
    "request_refund": "refund",
    "complain_account_access": "account_access",
    "complain_service": "service",
}
"""Each complaint intent and the category (a key of business.yml) it raises."""

PROBLEM_PHRASES: dict[str, str] = {
    "late_delivery": "{subject} hasn't arrived yet",
    "damaged_item": "{subject} arrived damaged",
    "wrong_item": "{subject} wasn't what you ordered",
    "billing": "you were charged incorrectly for {subject}",
    "refund": "you're still waiting for your refund for {subject}",
    "account_access": "you can't get into your account{email}",
    "service": "you weren't treated the way you should have been",
}
"""How the restatement words each category; unknown categories use their name."""

_DIGITS = re.compile(r"\d+")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = re.compile(
    rf"(?:[$€£]\s?({_NUMBER}))|(?:({_NUMBER})\s?(?:dollars|bucks|euros|pounds|usd|eur|gbp)\b)",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_PERCENT = re.compile(r"(\d{1,3})\s?%")


@dataclass(frozen=True)
class ComplaintDetails:
    """The specifics a customer gave: all optional."""

    order_id: str | None = None
    product: str | None = None
    amount: str | None = None
    email: str | None = None
    waited: str | None = None
    """How long the customer has waited, in their words ("two weeks")."""


def categories_in_message(
    intent: str | None, problem_entities: Iterable[str], known: Iterable[str]
) -> list[str]:
    """The categories one message raises, in the order the customer raised them.

    ``problem_entities`` are the canonical values of the ``problem`` entity (one per
    problem phrase) in the order they appear in the text; ``known`` are the
    categories business.yml defines. The intent's category comes first unless a
    problem phrase places it.
    """
    known_set = set(known)
    problems = list(problem_entities)
    found: list[str] = []
    intent_category = INTENT_CATEGORIES.get(intent or "")
    leading = [] if intent_category in problems else [intent_category]
    for category in [*leading, *problems]:
        if category and category in known_set and category not in found:
            found.append(category)
    return found


def merge_categories(earlier: Iterable[str], new: Iterable[str]) -> list[str]:
    merged = list(earlier)
    merged.extend(category for category in new if category not in merged)
    return merged


def normalise_order_id(raw: str | None) -> str | None:
    """``"#48213"``, ``"ORD-48213"``, ``"order 48213"`` → ``"48213"``."""
    if not raw:
        return None
    digits = _DIGITS.findall(str(raw))
    return digits[-1] if digits else None


def describe_subject(details: ComplaintDetails) -> str:
    order = f"order #{details.order_id}" if details.order_id else None
    if details.product and order:
        return f"the {details.product} from {order}"
    if details.product:
        return f"the {details.product}"
    return f"your {order}" if order else "your order"


def restate_complaint(
    rules: BusinessRules, categories: list[str], details: ComplaintDetails
) -> str:
    """One sentence that names every problem with the details we know.

    The order, product and amount are named once, at the first problem that
    concerns the order; later problems refer back to it ("it").
    """
    amount = f" ({details.amount})" if details.amount else ""
    email = f" ({details.email})" if details.email else ""
    subject = describe_subject(details) + amount
    parts = []
    for category in categories:
        template = PROBLEM_PHRASES.get(category)
        if template is None:
            template = f"there's a {rules.category(category).name} with {{subject}}"
        parts.append(template.format(subject=subject, email=email))
        if "{subject}" in template:
            subject = "it"
    if not parts:
        return f"something went wrong with {subject}"
    if details.waited:
        parts.append(f"you've been waiting {details.waited}")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def apologies_for(rules: BusinessRules, categories: list[str]) -> list[str]:
    """One apology sentence per category, in the order the customer raised them."""
    return [rules.category(category).apology for category in categories]


@dataclass(frozen=True)
class FairAskVerdict:
    """What the assistant makes of what the customer considers fair."""

    understood: bool
    within_authority: bool
    fix_text: str
    reason: str


def parse_money(texts: Iterable[str]) -> float | None:
    """The first money amount in the texts (``$49.99``, ``30 euros``), if any."""
    for text in texts:
        match = _MONEY.search(text)
        if match:
            number = match.group(1) or match.group(2)
            if _THOUSANDS.fullmatch(number):
                return float(number.replace(",", ""))
            return float(number.replace(",", "."))
    return None


def parse_percent(texts: Iterable[str]) -> float | None:
    for text in texts:
        match = _PERCENT.search(text)
        if match:
            return float(match.group(1))
    return None


def _matching_fix(rules: BusinessRules, categories: list[str], text: str) -> Fix | None:
    lowered = text.lower()
    candidates = [fix for category in categories for fix in rules.category(category).fixes]
    # Longer keywords first, so "full refund" beats "refund".
    matches = [
        (len(keyword), fix)
        for fix in candidates
        for keyword in fix.keywords
        if re.search(rf"\b{re.escape(keyword)}\b", lowered)
    ]
    if not matches:
        return None
    return max(matches, key=lambda match: match[0])[1]


def _judge_against_limit(fix_text: str, asked: str, limit: str, within: bool) -> FairAskVerdict:
    if within:
        return FairAskVerdict(True, True, fix_text, f"{asked} is within the assistant's authority")
    return FairAskVerdict(
        True, False, fix_text, f"asked for {asked}; the assistant may grant up to {limit}"
    )


def judge_fair_ask(
    rules: BusinessRules,
    categories: list[str],
    text: str,
    amount_entities: Iterable[str],
) -> FairAskVerdict:
    """Decide whether the assistant may grant the customer's ask on its own."""
    sources = [*amount_entities, text]
    percent = parse_percent(sources)
    if percent is not None:
        return _judge_against_limit(
            f"take {percent:g}% off your order",
            asked=f"{percent:g}% off",
            limit=f"{rules.max_discount_percent:g}%",
            within=percent <= rules.max_discount_percent,
        )
    money = parse_money(sources)
    if money is not None:
        return _judge_against_limit(
            f"refund {rules.money(money)}",
            asked=rules.money(money),
            limit=rules.money(rules.max_refund),
            within=money <= rules.max_refund,
        )
    fix = _matching_fix(rules, categories, text)
    if fix is None:
        return FairAskVerdict(
            False, False, "", "the customer's ask was not one the assistant recognises"
        )
    if fix.needs_approval:
        return FairAskVerdict(True, False, fix.text, f"'{fix.id}' needs a colleague's approval")
    return FairAskVerdict(True, True, fix.text, f"'{fix.id}' is within the assistant's authority")
