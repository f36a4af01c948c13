"""How long a customer's data is kept, per kind of record (see README "Configuration").

Each kind has its own ``RETENTION_<KIND>_DAYS`` setting. Records that live under their
own key get a Redis TTL when they are written (``expire_seconds``), so Redis forgets
them even if nothing else runs; what cannot carry a TTL of its own (entries of the
shared ``handoff-requests`` and ``cancellation-requests`` streams, members of the
per-customer indexes, Rasa trackers written before a TTL was configured) is removed by
the gateway's sweeper (bot/retention_sweeper.py).

Nothing is read at import time: call ``RetentionPolicy.from_environment()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

DAY_SECONDS = 24 * 3600
MAX_RETENTION_DAYS = 3650
"""Ten years: a longer setting is almost certainly a typo."""


class RetentionSettingsError(ValueError):
    """A retention setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of record is kept after it was last written."""

    transcript_days: int = 90
    """``RETENTION_TRANSCRIPT_DAYS``: a conversation's transcript (and its sequence)."""
    tracker_days: int = 90
    """``RETENTION_TRACKER_DAYS``: Rasa's ``tracker:<session id>`` (endpoints.yml record_exp)."""
    handoff_days: int = 90
    """``RETENTION_HANDOFF_DAYS``: handoff packets (``handoff:``) and handoff requests."""
    notes_days: int = 90
    """``RETENTION_NOTES_DAYS``: agents' private notes (``notes:``)."""
    rating_days: int = 365
    """``RETENTION_RATING_DAYS``: the visitor's rating of a conversation (``rating:``)."""
    resolution_days: int = 365
    """``RETENTION_RESOLUTION_DAYS``: agreed fixes (``resolution:``) and cancellations."""
    customer_index_days: int = 365
    """``RETENTION_CUSTOMER_INDEX_DAYS``: which conversations and fixes were a customer's
    (``customer-conversations:``, ``customer-resolutions:``, ``customer-last-agent:``)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RetentionPolicy:
        source = os.environ if environ is None else environ
        values = {
            field.name: _days(source, environment_name(field.name), int(field.default))
            for field in fields(cls)
        }
        return cls(**values)

    def seconds(self, kind: str) -> int:
        """The retention of ``kind`` (a field name without ``_days``) in seconds."""
        return int(getattr(self, f"{kind}_days")) * DAY_SECONDS

    @property
    def longest_seconds(self) -> int:
        return max(int(getattr(self, field.name)) for field in fields(self)) * DAY_SECONDS


def environment_name(field_name: str) -> str:
    """``transcript_days`` → ``RETENTION_TRANSCRIPT_DAYS``."""
    return f"RETENTION_{field_name.upper()}"


def _days(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip() or str(default)
    if not value.isdigit() or not 1 <= int(value) <= MAX_RETENTION_DAYS:
        raise RetentionSettingsError(
            f"{name}={value!r} must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"
        )
    return int(value)


def rasa_retention_environment(policy: RetentionPolicy) -> dict[str, str]:
    """The variable endpoints.yml's tracker store reads for ``record_exp``: Rasa sets
    that expiry on ``tracker:<session id>`` each time it saves the tracker."""
    return {"TRACKER_RETENTION_SECONDS": str(policy.seconds("tracker"))}
