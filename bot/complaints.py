"""Complaint logic that needs no dialogue engine: categories, details, fair asks.

Pure functions over plain values, shared by the actions and (later) the handoff
summary. No rasa import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.business import BusinessRules
from bot.nlu.details import find_order_ids

INTENT_CATEGORIES: dict[str, str] = {
    "complain_late_delivery": "late_delivery",
    "complain_damaged_item": "damaged_item",
    "complain_wrong_item": "wrong_item",
    "complain_billing": "billing",
    "request_refund": "refund",
    "complain_account_access": "account_access",
    "complain_service": "service",
    "complain_faulty_item": "faulty_item",
    "complain_lost_parcel": "lost_parcel",
    "complain_missing_item": "missing_item",
    "complain_not_as_described": "not_as_described",
    "complain_price_not_applied": "price_not_applied",
    "complain_subscription_charge": "subscription_charge",
    "complain_refund_not_received": "refund_not_received",
    "complain_delivery_experience": "delivery_experience",
}
"""Each complaint intent and the category (a key of business.yml) it raises."""
CATEGORY_INTENTS: dict[str, str] = {
    category: intent for intent, category in INTENT_CATEGORIES.items()
}
"""Each category and the complaint intent that raises it (the payload of its button)."""


def capitalised(text: str) -> str:
    """The first letter in upper case, the rest as written: "lost parcel" → "Lost parcel"."""
    return text[:1].upper() + text[1:]


PROBLEM_PHRASES: dict[str, str] = {
    "late_delivery": "{subject} {hasnt} arrived yet",
    "damaged_item": "{subject} arrived damaged",
    "wrong_item": "you were sent the wrong item instead of {subject}",
    "billing": "you were charged incorrectly for {subject}",
    "refund": "you'd like your money back for {subject}",
    "faulty_item": "{subject} stopped working{in_use}",
    "lost_parcel": "{subject} got lost on its way to you",
    "missing_item": "something was missing from {subject}",
    "not_as_described": "{subject} {isnt} as described",
    "price_not_applied": "the price or discount you expected wasn't applied to {subject}",
    "subscription_charge": "you were charged for a subscription you didn't expect to pay for"
    " ({subject})",
    "refund_not_received": "the refund for {subject} hasn't reached you",
    "delivery_experience": "the delivery of {subject} wasn't handled properly",
    "account_access": "you can't get into your account{email}",
    "service": "you weren't treated the way you should have been",
}
"""How the restatement words each category; unknown categories use their name. The
verbs agree with the subject ("the kettle hasn't", "the strawberries haven't")."""

_ID_CHARACTERS = re.compile(r"[A-Za-z0-9-]+")
_ORD_PREFIX = re.compile(r"ORD-?(\d+)")
"""``ORD-`` before the digits is a prefix like ``#``, not part of the number."""


@dataclass(frozen=True)
class ComplaintDetails:
    """The specifics a customer gave: all optional."""

    order_id: str | None = None
    product: str | None = None
    amount: str | None = None
    email: str | None = None
    waited: str | None = None
    """How long the customer has waited, in their words ("two weeks")."""
    in_use_for: str | None = None
    """How long the item was used before it failed, in their words ("3 weeks")."""
    due_on: str | None = None
    """When the delivery was due, ready to follow a verb ("on Thursday", "last Tuesday")."""
    returned_on: str | None = None
    """When the customer sent the item back ("on 3 March")."""
    booked_for: str | None = None
    """For a wrong booking: the date booked, as written ("the 15th")."""
    sent_for: str | None = None
    """For a wrong booking: the date on what was sent ("the 14th")."""
    payment_failure: str | None = None
    """How a payment failed, in their words ("card keeps getting declined")."""
    colour: str | None = None
    """The colour of the item the complaint is about (for a wrong item: the one ordered)."""
    size: str | None = None
    received_colour: str | None = None
    """For a wrong item: the colour that arrived instead."""


SUBSUMES: dict[str, tuple[str, ...]] = {
    "refund_not_received": ("refund",),
    "lost_parcel": ("late_delivery",),
    "delivery_experience": ("service",),
    "subscription_charge": ("billing",),
    "price_not_applied": ("billing",),
}
"""A category that already says the other: a refund not received is a refund asked for,
a lost parcel has not arrived, a rude driver is the delivery (not our staff)."""


def related_categories(category: str) -> set[str]:
    """The categories ``category`` implies and those that imply it (``SUBSUMES``)."""
    implying = {wider for wider, narrower in SUBSUMES.items() if category in narrower}
    return {*SUBSUMES.get(category, ()), *implying}


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
    implied = {c for category in found for c in SUBSUMES.get(category, ())}
    return [category for category in found if category not in implied]


def merge_categories(earlier: Iterable[str], new: Iterable[str]) -> list[str]:
    merged = list(earlier)
    merged.extend(category for category in new if category not in merged)
    return merged


def corrected_categories(
    current: Iterable[str], denied: Iterable[str], raised: Iterable[str], additive: bool
) -> list[str]:
    """The categories after a correction: what was denied goes; what the correction
    raises replaces the rest, or joins it when the customer adds ("and also ...")."""
    denied_set = set(denied)
    kept = [] if (list(raised) and not additive) else list(current)
    return [c for c in merge_categories(kept, raised) if c not in denied_set]


def normalise_order_id(raw: str | None) -> str | None:
    """``"#48213"``, ``"order 48213"``, ``"ORD-48213"`` → ``"48213"``; ``"a7x-99"`` → ``"A7X-99"``;
    leading zeros and dashes stay (``"0000458812"``, ``"112-4567890-1234567"``)."""
    if not raw:
        return None
    found = find_order_ids(str(raw))
    value = found[-1].value.upper() if found else str(raw).strip().lstrip("#").strip().upper()
    if not (4 <= len(value) <= 20 and any(ch.isdigit() for ch in value)):
        return None
    if not _ID_CHARACTERS.fullmatch(value):
        return None
    prefixed = _ORD_PREFIX.fullmatch(value)
    return prefixed.group(1) if prefixed else value


def describe_product(details: ComplaintDetails) -> str | None:
    """``"blue jumper in size M"``, ``"jumper"``, ``"blue one"``; ``None`` if nothing is known."""
    if not (details.product or details.colour or details.size):
        return None
    words = " ".join(word for word in (details.colour, details.product or "one") if word)
    if not details.size:
        return words
    spelled = details.size[:1].islower() or " " in details.size  # "medium", "waist 32"
    return f"{words} in {details.size}" if spelled else f"{words} in size {details.size}"


def describe_subject(details: ComplaintDetails) -> str:
    order = f"order #{details.order_id}" if details.order_id else None
    product = describe_product(details)
    if product and order:
        return f"the {product} from {order}"
    if product:
        return f"the {product}"
    return f"your {order}" if order else "your order"


def is_plural(details: ComplaintDetails) -> bool:
    """Whether the subject of the restatement is plural ("the strawberries", "the jeans");
    an order number alone is one order."""
    product = (details.product or "").strip().lower()
    if not product:
        return False
    last = product.split()[-1]
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


DATED_PROBLEM_PHRASES: dict[str, tuple[str, str]] = {
    "late_delivery": ("due_on", "{subject} {was} due {due_on} and {hasnt} arrived yet"),
    "lost_parcel": ("due_on", "{subject} {was} due {due_on} and got lost on its way to you"),
    "refund_not_received": (
        "returned_on",
        "you sent {subject} back {returned_on} and the refund hasn't reached you",
    ),
}
"""The problem phrase when the customer said the date it hangs on (the detail it needs)."""
DATED_AGENT_PHRASES: dict[str, tuple[str, str]] = {
    "late_delivery": ("due_on", "{subject} was due {due_on} and has not arrived"),
    "lost_parcel": ("due_on", "{subject} was due {due_on} and was lost on its way"),
    "refund_not_received": (
        "returned_on",
        "the customer sent {subject} back {returned_on} and the refund has not reached them",
    ),
}


def detail_phrase(category: str, details: ComplaintDetails, for_agent: bool) -> str | None:
    """The problem phrase a detail makes exact, to the customer or (``for_agent``) in the
    agent's summary; ``None``: the category's usual phrase. A wrong item by the colour
    that came or by the dates booked and sent, a billing problem that was a payment that
    failed (no wrong charge claimed)."""
    sent = "the customer was sent {subject}" if for_agent else "you were sent {subject}"
    if category == "wrong_item" and details.booked_for:
        booked = details.booked_for
        if details.sent_for and details.sent_for.lower() != booked.lower():
            instead = "but had booked" if for_agent else "instead of"
            return f"{sent} for {details.sent_for} {instead} {booked}"
        return f"{sent}, {'but had booked' if for_agent else 'but you booked'} {booked}"
    if category == "wrong_item" and details.received_colour:
        who = "the customer" if for_agent else "you"
        return f"{who} received a {details.received_colour} one instead of {{subject}}"
    if category == "billing" and details.payment_failure:
        if for_agent:
            return "the customer's payment for {subject} did not go through properly"
        return "your payment for {subject} didn't go through properly"
    return None


def dated_phrase(
    phrases: dict[str, tuple[str, str]], category: str, details: ComplaintDetails
) -> str | None:
    """The phrase for ``category`` that says its date, if the customer gave that date."""
    detail, phrase = phrases.get(category, ("", ""))
    return phrase if detail and getattr(details, detail) else None


ITEM_CONDITION = frozenset(
    {"damaged_item", "faulty_item", "wrong_item", "missing_item", "not_as_described"}
)
"""Problems with the item itself: a time said with them is not a wait."""


def says_a_wait(categories: Iterable[str], details: ComplaintDetails) -> bool:
    """Whether the restatement says how long the customer has waited: there is a wait,
    and a problem that is waited on (not only the item's condition: "the heel broke, 3
    weeks ago" is no wait)."""
    categories = list(categories)
    return bool(details.waited) and (
        not categories or any(c not in ITEM_CONDITION for c in categories)
    )


def restate_complaint(
    rules: BusinessRules, categories: list[str], details: ComplaintDetails
) -> str:
    """One sentence that names every problem with the details we know.

    The order, product and amount are named once, at the first problem that
    concerns the order; later problems refer back to it ("it").
    """
    amount = f" ({details.amount})" if details.amount else ""
    email = f" ({details.email})" if details.email else ""
    in_use = f" after {details.in_use_for}" if details.in_use_for else ""
    subject = describe_subject(details) + amount
    plural = is_plural(details)
    named = False
    parts = []
    for category in categories:
        template = (
            detail_phrase(category, details, for_agent=False)
            or dated_phrase(DATED_PROBLEM_PHRASES, category, details)
            or PROBLEM_PHRASES.get(category)
        )
        if template is None:
            template = f"there's a {rules.category(category).name} with {{subject}}"
        said = subject
        if named:  # later problems refer back to it: "it"/"they" as subject, "it"/"them" after
            said = (
                ("they" if plural else "it")
                if template.startswith("{subject}")
                else ("them" if plural else "it")
            )
        parts.append(
            template.format(
                subject=said,
                email=email,
                hasnt="haven't" if plural else "hasn't",
                wasnt="weren't" if plural else "wasn't",
                isnt="aren't" if plural else "isn't",
                was="were" if plural else "was",
                in_use=in_use,
                due_on=details.due_on,
                returned_on=details.returned_on,
            )
        )
        named = named or "{subject}" in template
    if not parts:
        return f"something went wrong with {subject}"
    if says_a_wait(categories, details):
        parts.append(f"you've been waiting {details.waited}")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


AGENT_PHRASES: dict[str, str] = {
    "late_delivery": "{subject} has not arrived",
    "damaged_item": "{subject} arrived damaged",
    "wrong_item": "{subject} was not what the customer ordered",
    "billing": "the customer was charged incorrectly for {subject}",
    "refund": "the customer wants their money back for {subject}",
    "account_access": "the customer cannot get into their account{email}",
    "service": "the customer was not treated as they should have been",
    "faulty_item": "{subject} stopped working{in_use}",
    "lost_parcel": "{subject} was lost on its way to the customer",
    "missing_item": "something was missing from {subject}",
    "not_as_described": "{subject} was not as described",
    "price_not_applied": "a price or discount was not applied to {subject}",
    "subscription_charge": "the customer was charged for a subscription they did not expect",
    "refund_not_received": "the refund for {subject} has not reached the customer",
    "delivery_experience": "the delivery of {subject} was handled badly",
}
"""How the case summary for agents words each category (third person)."""


def case_summary(rules: BusinessRules, categories: list[str], details: ComplaintDetails) -> str:
    """One sentence for the agent: "Order #48213 (the blender, $89.90) arrived damaged;
    waited two weeks." Unknown categories use their name."""
    order = f"order #{details.order_id}" if details.order_id else "the order"
    extras = [f"the {p}" for p in [describe_product(details)] if p]
    if details.amount:
        extras.append(details.amount)
    subject = f"{order} ({', '.join(extras)})" if extras else order
    email = f" ({details.email})" if details.email else ""
    in_use = f" after {details.in_use_for}" if details.in_use_for else ""
    parts = []
    for category in categories:
        template = (
            detail_phrase(category, details, for_agent=True)
            or dated_phrase(DATED_AGENT_PHRASES, category, details)
            or AGENT_PHRASES.get(category)
            or (f"{rules.category(category).name} with {{subject}}")
        )
        dates = {"due_on": details.due_on, "returned_on": details.returned_on}
        parts.append(template.format(subject=subject, email=email, in_use=in_use, **dates))
        if "{subject}" in template:
            subject = "it"
    if not parts:
        parts.append(f"something went wrong with {subject}")
    sentence = "; ".join(parts)
    if says_a_wait(categories, details):
        sentence += f"; waiting {details.waited}"
    return sentence[0].upper() + sentence[1:] + "."


FAILED_PAYMENT_APOLOGY = "I'm sorry your payment didn't go through"


def apologies_for(
    rules: BusinessRules, categories: list[str], payment_failed: bool = False
) -> list[str]:
    """One apology sentence per category, in the order the customer raised them; for a
    payment that failed, not the wrong charge billing's apology speaks of."""
    return [
        FAILED_PAYMENT_APOLOGY
        if category == "billing" and payment_failed
        else rules.category(category).apology
        for category in categories
    ]
