"""The canned replies in canned_replies.yml: titles and texts the console offers.

The file is re-read when it changes (a broken edit keeps the last good list and the
error is logged), so the company edits it while the product runs. No rasa import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config_files import ReloadingFile

ROOT = Path(__file__).resolve().parents[2]
MAX_TITLE_CHARS = 80
MAX_TEXT_CHARS = 2000


class CannedRepliesError(ValueError):
    """The file is not a valid list of replies; the message names the file and entry."""


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str

    def for_agent(self, first_name: str) -> dict[str, str]:
        """The reply as the console gets it, ``{agent}`` filled in."""
        return {"title": self.title, "text": self.text.replace("{agent}", first_name)}


def canned_replies_path() -> Path:
    return Path(os.environ.get("CANNED_REPLIES_FILE") or ROOT / "canned_replies.yml")


def load_canned_replies(path: Path) -> list[CannedReply]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CannedRepliesError(f"{path}: not valid YAML ({error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CannedRepliesError(f"{path}: cannot read it ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("replies"), list):
        raise CannedRepliesError(f"{path}: expected a `replies:` list")
    replies: list[CannedReply] = []
    titles: set[str] = set()
    for number, item in enumerate(document["replies"], start=1):
        where = f"{path}, reply {number}"
        if not isinstance(item, dict) or set(item) - {"title", "text"}:
            raise CannedRepliesError(f"{where}: each reply has just a `title` and a `text`")
        title, text = item.get("title"), item.get("text")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE_CHARS:
            raise CannedRepliesError(f"{where}: `title` must be 1-{MAX_TITLE_CHARS} characters")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
            raise CannedRepliesError(f"{where}: `text` must be 1-{MAX_TEXT_CHARS} characters")
        if title.strip() in titles:
            raise CannedRepliesError(f"{where}: the title {title.strip()!r} is used twice")
        titles.add(title.strip())
        replies.append(CannedReply(title.strip(), text.strip()))
    return replies


class CannedRepliesFile(ReloadingFile[list[CannedReply]]):
    def __init__(self, path: Path) -> None:
        super().__init__(path, load_canned_replies, CannedRepliesError, "canned replies")
