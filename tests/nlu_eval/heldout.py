"""The held-out messages of ``make eval-nlu`` (tests/nlu_eval/messages/*.yml).

Written from docs/taxonomy.md by authors who never saw data/nlu, so the scores measure
understanding. NEVER copy a message from here into data/: tests/unit/test_nlu_heldout.py
fails when one appears there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"

CATEGORIES = frozenset(
    {
        "late_delivery", "lost_parcel", "missing_item", "damaged_item", "faulty_item",
        "wrong_item", "not_as_described", "billing", "price_not_applied",
        "subscription_charge", "refund_not_received", "refund", "account_access",
        "service", "delivery_experience",
    }
)  # fmt: skip
KINDS = frozenset(
    {
        "question", "praise", "enquiry", "smalltalk", "greeting", "thanks", "goodbye",
        "cancel", "person", "markup", "other_language", "gibberish",
    }
)  # fmt: skip


class HeldOutError(ValueError):
    """A held-out file breaks the format in tests/nlu_eval/heldout.py."""


@dataclass(frozen=True)
class HeldOutMessage:
    text: str
    categories: tuple[str, ...]
    """The complaint categories, in the order raised; empty when not a complaint."""
    kind: str | None
    person: bool
    order_id: str | None
    amounts: tuple[str, ...]
    source: str

    @property
    def is_complaint(self) -> bool:
        return bool(self.categories)


def _message(entry: object, source: str, index: int) -> HeldOutMessage:
    where = f"{source}, message {index + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        raise HeldOutError(f"{where}: needs a `text`")
    categories = entry.get("categories")
    if not isinstance(categories, list) or not set(categories) <= CATEGORIES:
        raise HeldOutError(f"{where}: `categories` must list categories of docs/taxonomy.md")
    kind = entry.get("kind")
    if (kind is None) == (not categories) or (kind is not None and kind not in KINDS):
        raise HeldOutError(f"{where}: a `kind` ({', '.join(sorted(KINDS))}) iff not a complaint")
    order_id = entry.get("order_id")
    return HeldOutMessage(
        text=entry["text"],
        categories=tuple(categories),
        kind=kind,
        person=bool(entry.get("person")),
        order_id=str(order_id) if order_id is not None else None,
        amounts=tuple(str(a) for a in entry.get("amounts") or []),
        source=source,
    )


def load_held_out(directory: Path = MESSAGES_DIR, pattern: str = "*.yml") -> list[HeldOutMessage]:
    """The messages of the files in ``directory`` matching ``pattern``, file by file."""
    messages: list[HeldOutMessage] = []
    for path in sorted(directory.glob(pattern)):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = document.get("messages") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise HeldOutError(f"{path.name}: needs a `messages:` list")
        messages += [_message(entry, path.name, i) for i, entry in enumerate(entries)]
    return messages
