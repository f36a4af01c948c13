"""Every Redis key the product uses, in one place.

Rasa's own stores use the prefixes ``tracker:`` and ``lock:`` (see endpoints.yml);
nothing here may start with those.
"""

from __future__ import annotations

from typing import overload

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

VISITOR_MESSAGE_PREFIX = "visitor-message:"
"""The seq a client's message id was recorded under (``0`` while it is being recorded),
so a message resent after a reconnect is recorded once:
``visitor-message:<session id>:<client message id>``."""


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


def limit_key(door: str, scope: str, subject: str) -> str:
    """A visitor door's sliding window (bot/gateway/rate_limit.py) for one subject:
    ``rate:<door>:<scope>:<subject>``, e.g. ``rate:typing:ip:203.0.113.7``."""
    return f"{RATE_PREFIX}{door}:{scope}:{subject}"


def rating_key(session_id: str) -> str:
    return f"{RATING_PREFIX}{session_id}"


def answered_key(message_id: str) -> str:
    return f"{ANSWERED_PREFIX}{message_id}"


def handled_message_key(message_id: str) -> str:
    return f"{HANDLED_MESSAGE_PREFIX}{message_id}"


def visitor_message_key(session_id: str, client_message_id: str) -> str:
    return f"{VISITOR_MESSAGE_PREFIX}{session_id}:{client_message_id}"


RASA_PROCESS_PREFIX = "rasa-process:"
"""Heartbeat of a running Rasa process (by boot id), so its claims on messages can be
told from those of a process that died: ``rasa-process:<boot id>``."""


def rasa_process_key(boot_id: str) -> str:
    return f"{RASA_PROCESS_PREFIX}{boot_id}"


# The handoff (bot/handoff/, bot/agents/): ownership transitions, the queue, agents.

HANDOFF_QUEUE = "handoff-queue"
"""Sorted set of queued conversations, scored by queue order (lowest = front)."""

HANDOFF_QUEUE_ORDER = "handoff-queue-order"
"""Counter giving each newly queued conversation its place (the queue's score)."""

HANDOFF_PREFIX = "handoff:"
"""Hash per conversation with its latest handoff: packet, routed agent, email…:
``handoff:<session id>``."""

HANDOFF_OPEN_PREFIX = "handoff-open:"
"""Sorted set per source (client IP or customer) of its requests for a person still
open, scored by when each was made: ``handoff-open:<ip|customer>:<source>``
(bot/handoff/flood.py)."""

HANDOFF_HELD_BACK_PREFIX = "handoff-held-back:"
"""How many of a source's requests for a person were held back (over its cap)."""


def handoff_open_key(kind: str, source: str) -> str:
    return f"{HANDOFF_OPEN_PREFIX}{kind}:{source}"


def handoff_held_back_key(kind: str, source: str) -> str:
    return f"{HANDOFF_HELD_BACK_PREFIX}{kind}:{source}"


HANDOFF_WAITS = "handoff-waits"
"""List of the most recent waits (seconds from queued to claimed), newest first."""

AGENT_CHATS_PREFIX = "agent-chats:"
"""Set per agent of the conversations they own: ``agent-chats:<agent id>``."""

AGENT_PRESENCE = "agent-presence"
"""Hash agent id → chosen status (``online`` / ``away``)."""

AGENT_HEARTBEATS = "agent-heartbeats"
"""Sorted set agent id → time of their last sign of life (console socket, API call)."""

AGENT_EVENTS_CHANNEL = "agent-events"
"""Pub/sub channel for the agents' consoles: queue changes, assignments."""

AGENT_SESSION_PREFIX = "agent-session:"
"""Hash per logged-in agent session (agent id, CSRF token), keyed by the SHA-256 of the
cookie's token: ``agent-session:<hex digest>``."""

LOGIN_FAILURES_PREFIX = "login-failures:"
"""Recent login attempts not (yet) known to have succeeded, per scope (counter with
expiry): ``login-failures:source:<address>``, ``…:id:<agent id>``, ``…:device:<id>``."""

LOGIN_BLOCK_PREFIX = "login-block:"
"""Set while a scope's login attempts must wait (expires when they may go on)."""

AGENT_GENERATION_PREFIX = "agent-generation:"
"""Counter per agent: sessions made under an older value have been revoked ("log out
everywhere")."""

CUSTOMER_LAST_AGENT_PREFIX = "customer-last-agent:"
"""The agent who last helped a customer: ``customer-last-agent:<customer key>``."""

CUSTOMER_CONVERSATIONS_PREFIX = "customer-conversations:"
"""Sorted set per customer key of their conversations (session ids) by start time."""

AGENT_READ_PREFIX = "agent-read:"
"""Hash per agent: session id → the newest seq the agent has read in that chat (the
console's unread counts): ``agent-read:<agent id>``."""

NOTES_PREFIX = "notes:"
"""Stream per conversation of agents' private notes (never shown to the visitor)."""


def handoff_key(session_id: str) -> str:
    return f"{HANDOFF_PREFIX}{session_id}"


def agent_read_key(agent_id: str) -> str:
    return f"{AGENT_READ_PREFIX}{agent_id}"


def agent_chats_key(agent_id: str) -> str:
    return f"{AGENT_CHATS_PREFIX}{agent_id}"


def agent_session_key(token_digest: str) -> str:
    return f"{AGENT_SESSION_PREFIX}{token_digest}"


def login_failures_key(scope: str) -> str:
    return f"{LOGIN_FAILURES_PREFIX}{scope}"


def login_block_key(scope: str) -> str:
    return f"{LOGIN_BLOCK_PREFIX}{scope}"


def agent_generation_key(agent_id: str) -> str:
    return f"{AGENT_GENERATION_PREFIX}{agent_id}"


def customer_last_agent_key(customer_key: str) -> str:
    return f"{CUSTOMER_LAST_AGENT_PREFIX}{customer_key}"


def customer_conversations_key(customer_key: str) -> str:
    return f"{CUSTOMER_CONVERSATIONS_PREFIX}{customer_key}"


def notes_key(session_id: str) -> str:
    return f"{NOTES_PREFIX}{session_id}"


# Rasa's own stores (endpoints.yml), named here for the privacy tools and retention.

RASA_TRACKER_PREFIX = "tracker:"
"""Rasa's RedisTrackerStore: ``tracker:<sender id>`` (our sender id is the session id)."""

RASA_LOCK_PREFIX = "lock:"
"""Rasa's RedisLockStore: ``lock:<sender id>`` while a message is processed."""


def rasa_tracker_key(session_id: str) -> str:
    return f"{RASA_TRACKER_PREFIX}{session_id}"


def rasa_lock_key(session_id: str) -> str:
    return f"{RASA_LOCK_PREFIX}{session_id}"


CHAT_PREFIX = "chat:"
"""The session id behind a chat id (what agents name a conversation by; bot/chat_ids.py),
expiring like the session record: ``chat:<chat id>``."""


def chat_key(chat_id: str) -> str:
    return f"{CHAT_PREFIX}{chat_id}"


@overload
def decoded(value: bytes | str) -> str: ...
@overload
def decoded(value: None) -> None: ...
def decoded(value: bytes | str | None) -> str | None:
    """A Redis answer as text: the gateway's clients answer bytes, the actions' str."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else value
