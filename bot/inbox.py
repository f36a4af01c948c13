"""Work for the bot, queued per conversation: ``inbox:<session>``.

The gateway drains each inbox in order into Rasa (bot/gateway/forwarder.py).
Besides visitor messages to answer (``ask``), an inbox carries what must reach
the Rasa tracker while people own the conversation — the visitor's and the
agent's messages (``record``) — and the hand-back to the bot (``resume``), so
the tracker sees everything in the order it happened. No rasa import.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.transcript import QueuedWork

InboxMode = Literal["ask", "record_visitor", "record_agent", "resume"]

RESUME_POINTS = ("resolved", "continue", "carry_on")
"""Where the bot picks up after people: ``resolved`` (confirm and close politely),
``continue`` (ask what else), ``carry_on`` (the customer stopped waiting: back to the
open complaint)."""


@dataclass(frozen=True)
class InboxMessage:
    """One piece of work for the bot."""

    message_id: str
    text: str
    """The visitor's text (ask, record_visitor), the agent's (record_agent), or the
    resume point (resume)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    mode: InboxMode = "ask"

    @classmethod
    def from_json(cls, raw: bytes | str) -> InboxMessage:
        return cls(**json.loads(raw))


def new_message_id(session_id: str) -> str:
    """Unique, and names the conversation by its chat id: message ids are logged (here,
    in Rasa), and a session id must not be (bot/chat_ids.py)."""
    return f"{chat_id(session_id)}:{secrets.token_hex(8)}"


def queued_for_bot(session_id: str, message: InboxMessage) -> QueuedWork:
    """``message`` for the conversation's inbox, to queue in the same step as its
    transcript entry (then kick the gateway's forwarder, or let its sweeper find it)."""
    return QueuedWork(
        list_key=redis_keys.inbox_key(session_id),
        pending_key=redis_keys.INBOX_PENDING,
        payload=json.dumps(asdict(message)),
    )


QUEUE_WAIT = "/queue_wait"
QUEUE_EMAIL = "/queue_email"
QUEUE_CARRY_ON = "/queue_carry_on"
"""Quick-reply payloads offered while nobody is free; the gateway handles them (the bot
is paused while the conversation is queued)."""
