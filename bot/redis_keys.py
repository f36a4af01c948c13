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


# The gateway (bot/gateway/) and the Rasa channel it talks to (bot/channels/gateway_input.py).

SESSION_PREFIX = "session:"
"""Hash per conversation the gateway issued: ``session:<session id>``."""

TRANSCRIPT_PREFIX = "transcript:"
"""Append-only stream per conversation, entry ids ``<seq>-1``: ``transcript:<session id>``."""

TRANSCRIPT_SEQ_PREFIX = "transcript-seq:"
"""The last sequence number of a conversation's transcript."""

CONVERSATION_EVENTS_CHANNEL = "conversation-events"
"""Pub/sub channel every gateway listens on: transcript entries and live-only events."""

OWNER_PREFIX = "owner:"
"""Who owns a conversation (``bot`` when absent): ``owner:<session id>``."""

INBOX_PREFIX = "inbox:"
"""List per conversation of visitor messages not yet answered by the bot."""

INBOX_PENDING = "inbox-pending"
"""Sorted set of conversations with a non-empty inbox, scored by time of the oldest."""

INBOX_LEASE_PREFIX = "inbox-lease:"
"""Which gateway process drains a conversation's inbox: ``inbox-lease:<session id>``."""

RATE_PREFIX = "rate:"
"""Sorted set per conversation of its recently accepted messages' times (the rate
limit): ``rate:<session id>``."""

RATING_PREFIX = "rating:"
"""Hash per conversation with the visitor's rating: ``rating:<session id>``."""

ANSWERED_PREFIX = "answered:"
"""Set once the bot's replies to a visitor message are in the transcript (a retry after
a gateway crash must not record them twice): ``answered:<message id>``."""

HANDLED_MESSAGE_PREFIX = "handled-message:"
"""What Rasa answered to a gateway message id (so a retry is answered, not re-run)."""


def session_key(session_id: str) -> str:
    return f"{SESSION_PREFIX}{session_id}"


def transcript_key(session_id: str) -> str:
    return f"{TRANSCRIPT_PREFIX}{session_id}"


def transcript_seq_key(session_id: str) -> str:
    return f"{TRANSCRIPT_SEQ_PREFIX}{session_id}"


def owner_key(session_id: str) -> str:
    return f"{OWNER_PREFIX}{session_id}"


def inbox_key(session_id: str) -> str:
    return f"{INBOX_PREFIX}{session_id}"


def inbox_lease_key(session_id: str) -> str:
    return f"{INBOX_LEASE_PREFIX}{session_id}"


def rate_key(session_id: str) -> str:
    return f"{RATE_PREFIX}{session_id}"


def rating_key(session_id: str) -> str:
    return f"{RATING_PREFIX}{session_id}"


def answered_key(message_id: str) -> str:
    return f"{ANSWERED_PREFIX}{message_id}"


def handled_message_key(message_id: str) -> str:
    return f"{HANDLED_MESSAGE_PREFIX}{message_id}"


RASA_PROCESS_PREFIX = "rasa-process:"
"""Heartbeat of a running Rasa process (by boot id), so its claims on messages can be
told from those of a process that died: ``rasa-process:<boot id>``."""


def rasa_process_key(boot_id: str) -> str:
    return f"{RASA_PROCESS_PREFIX}{boot_id}"
