"""What the assistant may grant on its own: the one place that decides.

Every fix the assistant proposes and every fix a customer asks for becomes an ``Ask``:
what it is, said back in words, and what it costs (money, a percentage off, or
nothing). ``judge`` holds a list of asks against ``business.yml``'s authority:

* a fix marked ``needs_approval`` is never the assistant's to grant;
* a percentage off is within authority up to ``max_discount_percent``;
* money is within authority only when its amount is **known** and all the money granted
  in one decision, added up, stays within ``max_refund``; an ask whose cost nobody has
  stated ("refund the second charge" before any amount was said) is never granted;
* a fix that costs nothing (a replacement, a reset link) is within authority.

The amount a fix "in question" costs is the amount the customer told us about (the
item, the charge), passed in by the caller. No rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.business import BusinessRules, Category, Fix
from bot.nlu.details import find_amounts, is_percentage, money_value, number_value

_PART_SEPARATORS = re.compile(
    r"\s*(?:;|,?\s+\band also\b|,?\s+\bplus\b|,?\s+\bas well as\b|,?\s+\band\b|,(?!\d))\s*",
    re.IGNORECASE,
)


def parse_money(texts: Iterable[str]) -> float | None:
    """The first money amount in the texts (``$49.99``, ``30 euros``, ``£1,200``, ``40 quid``,
    ``EUR 40``, ``€1.299,00``), if any."""
    for text in texts:
        for found in find_amounts(text):
            if not is_percentage(found.value):
                return money_value(found.value)
    return None


def parse_percent(texts: Iterable[str]) -> float | None:
    """The first percentage in the texts (``10%``, ``15 percent``), if any."""
    for text in texts:
        for found in find_amounts(text):
            if is_percentage(found.value):
                return number_value(found.value)
    return None


@dataclass(frozen=True)
class Ask:
    """One fix, as the customer asked for it or the assistant would offer it."""

    text: str
    """Said back to the customer after "I'll": ``refund $20``, ``take 10% off your order``."""
    money: float | None = None
    """What it costs in money, when that is known."""
    percent: float | None = None
    fix: Fix | None = None
    cost_unknown: bool = False
    """It costs money, but nobody has said how much."""


@dataclass(frozen=True)
class Verdict:
    """Whether the assistant may grant one ask, and why."""

    ask: Ask
    within_authority: bool
    reason: str


def fix_cost(fix: Fix, rules: BusinessRules, amount_in_question: float | None) -> float | None:
    """What granting ``fix`` costs in money (0 for none); ``None`` while unknown."""
    if fix.cost == "none":
        return 0.0
    if fix.cost == "fixed":
        return fix.fixed_cost
    if fix.cost == "delivery_fee":
        return rules.delivery_fee
    return amount_in_question


def ask_for_fix(fix: Fix, rules: BusinessRules, amount_in_question: float | None) -> Ask:
    """The ask of a fix from business.yml, with its cost when known."""
    cost = fix_cost(fix, rules, amount_in_question)
    if cost is None:
        return Ask(text=fix.text, fix=fix, cost_unknown=True)
    text = fix.text
    if fix.cost == "amount_in_question" and cost:
        text = f"{fix.text} ({rules.money(cost)})"
    return Ask(text=text, money=cost, fix=fix)


def matching_fix(rules: BusinessRules, categories: list[str], text: str) -> Fix | None:
    """The fix of the open categories whose keyword the text names (longest keyword wins,
    so "full refund" beats "refund"); ``None`` if none."""
    lowered = text.lower()
    candidates = [fix for category in categories for fix in rules.category(category).fixes]
    matches = [
        (len(keyword), -index, fix)
        for index, fix in enumerate(candidates)
        for keyword in fix.keywords
        if re.search(rf"\b{re.escape(keyword)}\b", lowered)
    ]
    if not matches:
        return None
    return max(matches, key=lambda match: (match[0], match[1]))[2]


_STATEMENT = re.compile(
    r"^\W*(?:and\s+)?(?:it|that|they|this|the total|the price|the charge|each)\s+"
    r"(?:was|were|is|are|cost|costs|came to|comes to)\b",
    re.IGNORECASE,
)
"""A part that states an amount ("it was $29") rather than asking for one."""


def parse_ask(
    text: str,
    rules: BusinessRules,
    categories: list[str],
    amount_in_question: float | None,
) -> Ask | None:
    """One ask from one part of a message; ``None`` if it names nothing we recognise.

    A percentage is a discount; an amount of money is a refund of that amount; otherwise
    a fix named by its keywords, costing what that fix costs.
    """
    percent = parse_percent([text])
    if percent is not None:
        return Ask(text=f"take {percent:g}% off your order", percent=percent)
    money = parse_money([text])
    fix = matching_fix(rules, categories, text)
    if money is not None:
        if fix is not None and fix.needs_approval:
            return Ask(text=f"{fix.text} ({rules.money(money)})", money=money, fix=fix)
        return Ask(text=f"refund {rules.money(money)}", money=money)
    if fix is None:
        return None
    return ask_for_fix(fix, rules, amount_in_question)


def split_parts(text: str) -> list[str]:
    """The parts of a counter-ask: "refund the delivery fee and give me 10% off" → two."""
    return [part for part in _PART_SEPARATORS.split(text) if part and part.strip()]


def parse_asks(
    text: str,
    rules: BusinessRules,
    categories: list[str],
    amount_in_question: float | None,
) -> list[Ask]:
    """Every ask in a message, in order. A message whose parts name nothing on their own
    (the keyword spans a separator) is read whole, and so is one that names a fix only a
    colleague may grant ("refund me and let me keep it"): it goes to them as said."""
    whole = parse_ask(text, rules, categories, amount_in_question)
    if whole is not None and whole.fix is not None and whole.fix.needs_approval:
        return [whole]
    asks: list[Ask] = []
    for part in split_parts(text):
        if _STATEMENT.match(part):
            continue
        ask = parse_ask(part, rules, categories, amount_in_question)
        if ask is None or (ask.fix is not None and ask in asks):
            continue
        if (
            ask.fix is None
            and ask.money is not None
            and any(earlier.fix is not None and earlier.money == ask.money for earlier in asks)
        ):
            continue  # "issue the refund, $29": the $29 is that refund's amount
        asks.append(ask)
    if asks:
        return asks
    return [whole] if whole is not None else []


def judge(asks: list[Ask], rules: BusinessRules) -> list[Verdict]:
    """Each ask within the assistant's authority or not; money adds up across the asks."""
    verdicts: list[Verdict] = []
    granted_money = 0.0
    limit = rules.money(rules.max_refund)
    for ask in asks:
        if ask.fix is not None and ask.fix.needs_approval:
            verdicts.append(Verdict(ask, False, f"'{ask.fix.id}' needs a colleague's approval"))
        elif ask.percent is not None:
            within = ask.percent <= rules.max_discount_percent
            verdicts.append(
                Verdict(
                    ask,
                    within,
                    f"{ask.percent:g}% off is within the assistant's authority"
                    if within
                    else f"asked for {ask.percent:g}% off; the assistant may grant up to "
                    f"{rules.max_discount_percent:g}%",
                )
            )
        elif ask.cost_unknown or ask.money is None:
            verdicts.append(
                Verdict(ask, False, f"the cost of '{ask.text}' is not known from the conversation")
            )
        elif granted_money + ask.money <= rules.max_refund:
            granted_money += ask.money
            verdicts.append(Verdict(ask, True, "within the assistant's authority"))
        else:
            asked = rules.money(granted_money + ask.money)
            verdicts.append(
                Verdict(
                    ask, False, f"asked for {asked} in all; the assistant may grant up to {limit}"
                )
            )
    return verdicts


def may_grant(ask: Ask, rules: BusinessRules) -> bool:
    """Whether the assistant may grant this one ask on its own."""
    return judge([ask], rules)[0].within_authority


def offers_within_authority(
    category: Category, rules: BusinessRules, amount_in_question: float | None
) -> list[str]:
    """The texts of the category's fixes the assistant may grant now, with their cost."""
    asks = [
        ask_for_fix(fix, rules, amount_in_question)
        for fix in category.fixes
        if not fix.needs_approval
    ]
    return [ask.text for ask in asks if may_grant(ask, rules)]
