"""Every Redis key the product uses, in one place.

Rasa's own stores use the prefixes ``tracker:`` and ``lock:`` (see endpoints.yml);
nothing here may start with those.
"""

from __future__ import annotations

RESOLUTION_PREFIX = "resolution:"
"""Hash per agreed fix: ``resolution:<reference>``."""

CUSTOMER_RESOLUTIONS_PREFIX = "customer-resolutions:"
"""Sorted set per customer key of their resolution references, scored by time."""

REFERENCE_COUNTER_PREFIX = "reference-counter:"
"""Daily counter behind reference numbers: ``reference-counter:<yymmdd>``."""

HANDOFF_REQUESTS_STREAM = "handoff-requests"
"""Stream of every request to hand a conversation to a person."""

CANCELLATION_REQUESTS_STREAM = "cancellation-requests"
"""Stream of confirmed order cancellations for the order system to act on."""


def resolution_key(reference: str) -> str:
    return f"{RESOLUTION_PREFIX}{reference}"


def customer_resolutions_key(customer_key: str) -> str:
    return f"{CUSTOMER_RESOLUTIONS_PREFIX}{customer_key}"


def reference_counter_key(day: str) -> str:
    return f"{REFERENCE_COUNTER_PREFIX}{day}"
