"""canned_replies.yml: the shipped file is valid, mistakes name the entry, edits are
picked up while running and a broken edit keeps the last good list."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.console.canned_replies import (
    CannedRepliesError,
    CannedRepliesFile,
    canned_replies_path,
    load_canned_replies,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "canned_replies.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_valid_and_greets_with_the_agents_name() -> None:
    replies = load_canned_replies(canned_replies_path())
    assert len(replies) >= 5
    assert "{agent}" in replies[0].text
    assert replies[0].for_agent("Maria")["text"].startswith("Hi, this is Maria.")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("replies: nope", "expected a `replies:` list"),
        ("- title: x", "expected a `replies:` list"),
        ("replies:\n  - title: Hi\n", "reply 1: `text` must be"),
        ("replies:\n  - {title: Hi, text: a}\n  - {title: '', text: b}\n", "reply 2: `title`"),
        ("replies:\n  - {title: Hi, text: a, colour: red}\n", "just a `title` and a `text`"),
        ("replies:\n  - {title: Hi, text: a}\n  - {title: Hi, text: b}\n", "used twice"),
        ("replies: [\n", "not valid YAML"),
        (f"replies:\n  - {{title: Hi, text: {'x' * 2001}}}\n", "1-2000 characters"),
    ],
)
def test_mistakes_name_the_reply(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(CannedRepliesError, match=re.escape(problem)):
        load_canned_replies(write(tmp_path, text))


def test_edits_are_picked_up_and_a_broken_edit_keeps_the_last_good_list(tmp_path: Path) -> None:
    path = write(tmp_path, "replies:\n  - {title: Hi, text: Hello}\n")
    replies = CannedRepliesFile(path)
    assert [reply.title for reply in replies.get()] == ["Hi"]
    path.write_text("replies:\n  - {title: Hi, text: Hello}\n  - {title: Bye, text: Bye}\n")
    os.utime(path, (1, 1))
    assert [reply.title for reply in replies.get()] == ["Hi", "Bye"]
    path.write_text("replies: [")
    os.utime(path, (2, 2))
    assert [reply.title for reply in replies.get()] == ["Hi", "Bye"]
    assert isinstance(replies.last_error, CannedRepliesError)
