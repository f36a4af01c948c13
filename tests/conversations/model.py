"""The conversation test set: YAML files (one per kind of shop) loaded into pydantic models.

A file looks like::

    shop: electronics
    conversations:
      - id: el-double-charge
        title: a double charge above the bot's authority goes to a person
        outcome: handed_over
        turns:
          - say: "you charged me twice for order 48213, $89.90 each"
            expect:
              - {step: acknowledge, phrase: [acknowledge_complaint]}
              - {step: restate, phrase: restate_complaint, contains: "48213", buttons: [Yes, No]}
          - click: "Yes"
            expect:
              - {step: limits, phrase: [state_limits], before: [propose_fix, propose_only_fix]}

Every expectation is one scored check, tagged with the playbook step it measures. A
mistake is reported as ``ConversationSetError`` naming the file and the conversation.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, root_validator, validator

CONVERSATIONS_DIR = Path(__file__).resolve().parent
"""Where the YAML files live (``*.yml`` beside this module)."""

STEPS = (
    "vent",
    "acknowledge",
    "restate",
    "correct",
    "limits",
    "propose",
    "fair_ask",
    "outcome",
    "handoff",
    "boundary",
    "language",
    "timeline",
    "cancel",
    "chitchat",
)
"""The playbook steps a check can score, in the order the report lists them."""

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Outcome(str, Enum):
    """How a conversation must end (scored once per conversation, step ``outcome``)."""

    granted = "granted"
    """The bot confirmed a fix within its authority (confirm_resolution), no handoff."""
    handed_over = "handed_over"
    """A person took over (dialogue_stage ``handed_off``); nothing was granted."""
    partial = "partial"
    """Part granted, the rest handed to a person (partial_grant, then ``handed_off``)."""
    cancelled = "cancelled"
    """An order was cancelled (order_cancelled)."""
    kept = "kept"
    """The customer decided to keep the order (order_kept)."""
    ended = "ended"
    """The bot ended a repeatedly abusive conversation civilly (abuse_end)."""
    open = "open"
    """Nothing granted and nobody handed over (yet): chit-chat, a pending offer..."""
    not_granted = "not_granted"
    """Nothing granted; asking for what is missing or handing over are both fine."""


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class Expectation(Strict):
    """One check on the bot's reply to a turn. All the conditions given must hold.

    ``phrase`` selects the messages the text conditions look at (any of the keys, from
    the tracker's ``metadata.phrase``, or ``utter_action`` for domain responses); without
    it they look at every message of the turn.
    """

    step: str
    note: str | None = None
    """What must happen, in words (the report shows it); made up from the rest if absent."""
    phrase: list[str] = Field(default_factory=list)
    no_phrase: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    contains_any: list[str] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    matches: str | None = None
    """A regular expression the (selected) text must contain."""
    buttons: list[str] = Field(default_factory=list)
    """Button titles that must be offered (case-insensitive)."""
    before: list[str] = Field(default_factory=list)
    """Phrase keys that, if they appear in the turn, must come after ``phrase``."""
    slots: dict[str, Any] = Field(default_factory=dict)
    intent: list[str] = Field(default_factory=list)
    replied: bool | None = None
    """``True``: the bot said something; ``False``: it stayed silent."""

    @validator("step")
    def _known_step(cls, value: str) -> str:
        if value not in STEPS:
            raise ValueError(f"unknown step {value!r} (known: {', '.join(STEPS)})")
        return value

    @validator("phrase", "no_phrase", "contains", "contains_any", "not_contains", "buttons",
               "before", "intent", pre=True)  # fmt: skip
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @validator("matches")
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from None
        return value

    @root_validator(skip_on_failure=True)
    def _checks_something(cls, values: dict[str, Any]) -> dict[str, Any]:
        checks = ("phrase", "no_phrase", "contains", "contains_any", "not_contains",
                  "matches", "buttons", "slots", "intent")  # fmt: skip
        if not any(values.get(name) for name in checks) and values.get("replied") is None:
            raise ValueError("an expectation must check something (phrase, contains, ...)")
        if values.get("before") and not values.get("phrase"):
            raise ValueError("'before' needs 'phrase'")
        return values

    def describe(self) -> str:
        """What is expected, in a line."""
        if self.note:
            return self.note
        parts: list[str] = []
        if self.phrase:
            parts.append("phrase " + "|".join(self.phrase))
        if self.before:
            parts.append("before " + "|".join(self.before))
        if self.contains:
            parts.append("containing " + ", ".join(repr(text) for text in self.contains))
        if self.contains_any:
            parts.append("containing one of " + ", ".join(repr(t) for t in self.contains_any))
        if self.not_contains:
            parts.append("without " + ", ".join(repr(text) for text in self.not_contains))
        if self.matches:
            parts.append(f"matching /{self.matches}/")
        if self.buttons:
            parts.append("buttons " + ", ".join(self.buttons))
        if self.no_phrase:
            parts.append("no phrase " + "|".join(self.no_phrase))
        if self.slots:
            parts.append(", ".join(f"slot {name}={value!r}" for name, value in self.slots.items()))
        if self.intent:
            parts.append("intent " + "|".join(self.intent))
        if self.replied is not None:
            parts.append("a reply" if self.replied else "no reply")
        return "; ".join(parts)


class Turn(Strict):
    """What the customer does (types ``say`` or clicks the button titled ``click``)."""

    say: str | None = None
    click: str | None = None
    expect: list[Expectation] = Field(default_factory=list)

    @root_validator(skip_on_failure=True)
    def _one_action(cls, values: dict[str, Any]) -> dict[str, Any]:
        if (values.get("say") is None) == (values.get("click") is None):
            raise ValueError("a turn needs exactly one of 'say' or 'click'")
        if values.get("say") is not None and not str(values["say"]).strip():
            raise ValueError("'say' must not be empty")
        return values

    @property
    def label(self) -> str:
        return f"[click {self.click}]" if self.click is not None else str(self.say)


class Conversation(Strict):
    """One scripted conversation with a fresh visitor."""

    id: str
    title: str
    outcome: Outcome
    never_grant: bool | None = None
    """No fix may be confirmed in this conversation (default: when ``outcome`` is
    ``handed_over`` or ``not_granted``); a confirmation counts as a grant beyond authority."""
    turns: list[Turn]
    shop: str = ""
    """Filled in from the file."""
    source: str = ""
    """The file it came from."""

    @validator("id")
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id {value!r} must be lower-case letters, digits and dashes")
        return value

    @validator("turns")
    def _has_turns(cls, value: list[Turn]) -> list[Turn]:
        if not value:
            raise ValueError("a conversation needs at least one turn")
        return value

    @property
    def grants_forbidden(self) -> bool:
        if self.never_grant is not None:
            return self.never_grant
        return self.outcome in (Outcome.handed_over, Outcome.not_granted)


class ShopFile(Strict):
    """One YAML file: the conversations of one kind of shop."""

    shop: str
    description: str = ""
    conversations: list[Conversation]


class ConversationSetError(ValueError):
    """A conversation file is malformed; the message names the file and conversation."""


def load_file(path: Path) -> list[Conversation]:
    """The conversations of one file, each tagged with its shop and source."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConversationSetError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConversationSetError(f"{path.name}: must be a mapping with 'shop' and "
                                   "'conversations'")  # fmt: skip
    conversations = raw.get("conversations")
    if not isinstance(conversations, list):
        raise ConversationSetError(f"{path.name}: 'conversations' must be a list")
    for index, item in enumerate(conversations, start=1):
        name = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
        try:
            Conversation.parse_obj(item)
        except ValidationError as error:
            raise ConversationSetError(
                f"{path.name}: conversation {name}: {_explain(error)}"
            ) from None
    try:
        shop_file = ShopFile.parse_obj(raw)
    except ValidationError as error:
        raise ConversationSetError(f"{path.name}: {_explain(error)}") from None
    for conversation in shop_file.conversations:
        conversation.shop = shop_file.shop
        conversation.source = path.name
    return shop_file.conversations


def load_conversation_set(directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    """Every conversation of every ``*.yml`` file in ``directory``; ids must be unique."""
    conversations: list[Conversation] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        for conversation in load_file(path):
            if conversation.id in seen:
                raise ConversationSetError(
                    f"{path.name}: conversation {conversation.id}: id already used in "
                    f"{seen[conversation.id]}"
                )
            seen[conversation.id] = path.name
            conversations.append(conversation)
    if not conversations:
        raise ConversationSetError(f"{directory}: no conversations (*.yml) found")
    return conversations


def _explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'top'}: {item['msg']}"
        for item in error.errors()
    )
