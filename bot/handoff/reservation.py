"""How long a chat stays reserved for the agent the customer was told about.

When routing names an agent ("I'm passing you to Tom"), the chat is queued reserved
for Tom for ``HANDOFF_RESERVATION_SECONDS`` (90 s by default): only Tom may claim
it meanwhile. The atomic part (the claim refusing others, the lapse happening
once) is in bot/ownership.py; this module holds the setting and reads a
reservation from the stored handoff. No rasa import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_RESERVATION_SECONDS = 90.0
RESERVATION_VARIABLE = "HANDOFF_RESERVATION_SECONDS"


def reservation_seconds_from_environment() -> float:
    """``HANDOFF_RESERVATION_SECONDS`` (default 90): seconds only the named agent may
    claim the chat."""
    raw = os.environ.get(RESERVATION_VARIABLE)
    if not raw:
        return DEFAULT_RESERVATION_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 3600:  # also false for nan
        raise ValueError(
            f"{RESERVATION_VARIABLE}={raw!r} must be a number of seconds from 1 to 3600"
        )
    return seconds


@dataclass(frozen=True)
class Reservation:
    """A queued chat only ``agent_id`` may claim until ``until`` (Unix time)."""

    agent_id: str
    until: float

    def seconds_left(self, now: float) -> int:
        return max(0, int(self.until - now + 0.999))


def reservation_in(handoff: dict[str, str], now: float) -> Reservation | None:
    """The reservation a stored handoff holds, if its window is still open."""
    agent_id = handoff.get("routed_to") or ""
    try:
        until = float(handoff.get("reserved_until") or 0)
    except ValueError:
        return None
    if not agent_id or until <= now:
        return None
    return Reservation(agent_id=agent_id, until=until)
