"""The bot's voice: picks and fills a variant from ``phrasebook.yml``."""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.executor import CollectingDispatcher

PHRASEBOOK_PATH = Path(__file__).resolve().parent / "phrasebook.yml"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Phrasebook:
    """Named phrases, each with variants containing ``{placeholders}``."""

    def __init__(self, phrases: dict[str, list[str]]) -> None:
        self.phrases = phrases

    @classmethod
    def load(cls, path: Path = PHRASEBOOK_PATH) -> Phrasebook:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, variants in raw.items():
            if (
                not isinstance(variants, list)
                or not variants
                or not all(isinstance(variant, str) and variant.strip() for variant in variants)
            ):
                raise ValueError(f"{path}: '{key}' must be a non-empty list of texts")
        return cls(raw)

    def variants(self, key: str) -> list[str]:
        return self.phrases[key]

    def render(self, key: str, rng: random.Random | None = None, **values: Any) -> str:
        """One variant of the phrase, with every placeholder filled in."""
        variant = (rng or random).choice(self.phrases[key])
        missing = set(_PLACEHOLDER.findall(variant)) - set(values)
        if missing:
            raise KeyError(f"phrase '{key}' needs {', '.join(sorted(missing))}")
        return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), variant)

    def matches(self, key: str, text: str) -> bool:
        """Whether ``text`` is some variant of the phrase (placeholders match anything)."""
        for variant in self.phrases[key]:
            parts = _PLACEHOLDER.split(variant)
            # split() alternates literal text and placeholder names.
            pattern = "".join(
                re.escape(part) if index % 2 == 0 else "(.*?)" for index, part in enumerate(parts)
            )
            if re.fullmatch(pattern, text, flags=re.DOTALL):
                return True
        return False


@lru_cache(maxsize=1)
def phrasebook() -> Phrasebook:
    return Phrasebook.load()


YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
"""The buttons of every yes/no question (the gateway shows the title, Rasa gets the intent)."""


def say(
    dispatcher: CollectingDispatcher,
    key: str,
    buttons: list[dict[str, str]] | None = None,
    metadata: dict[str, Any] | None = None,
    **values: Any,
) -> None:
    """Send one variant of the phrase ``key`` to the customer, with ``buttons`` if any;
    ``metadata`` goes with the bot event (the phrase key always does)."""
    dispatcher.utter_message(
        text=phrasebook().render(key, **values),
        buttons=buttons or [],
        phrase=key,
        **(metadata or {}),
    )
