"""What was seen of one conversation: per turn, the bot's messages (visible text and
buttons from the socket, phrase key from the tracker), the intent and the slots.

Plain data, no I/O: the runner fills it in, the scorer reads it, unit tests build it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass
class BotMessage:
    """One bot message of a turn."""

    text: str
    phrase: str | None = None
    """``metadata.phrase`` of the tracker's bot event, else its ``utter_action``."""
    buttons: list[Button] = field(default_factory=list)
    visible: bool = True
    """Seen on the visitor's socket (``False``: only in the tracker)."""


@dataclass
class TurnObservation:
    """The customer's turn and everything the bot did in reply."""

    sent: str
    messages: list[BotMessage] = field(default_factory=list)
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    """Something went wrong running the turn (a button that was not offered, a timeout)."""

    @property
    def texts(self) -> list[str]:
        return [message.text for message in self.messages]

    def phrases(self) -> list[str | None]:
        return [message.phrase for message in self.messages]


@dataclass
class ConversationObservation:
    """A whole conversation as it happened."""

    conversation_id: str
    turns: list[TurnObservation] = field(default_factory=list)
    error: str | None = None
    """The conversation could not be run to the end (the reason)."""

    @property
    def messages(self) -> list[BotMessage]:
        return [message for turn in self.turns for message in turn.messages]

    @property
    def final_slots(self) -> dict[str, Any]:
        return self.turns[-1].slots if self.turns else {}
