"""The playbook's "Never say" list (shared/playbook.md): one copy for the unit scan of
every phrase and the conversation evaluation's scan of every reply."""

from __future__ import annotations

NEVER_SAY = (
    "that's our policy",
    "that is our policy",
    "company policy",
    "go to our website",
    "check our website",
    "calm down",
    "there's nothing i can do",
    "there is nothing i can do",
    "not my department",
    "you'll have to",
    "you need to contact",
    "as i already said",
    "unfortunately that's not possible",
)
"""Lower case, straight apostrophes."""


def forbidden_phrases_in(text: str) -> list[str]:
    """The never-say phrases in ``text`` (any case, curly apostrophes too)."""
    normalised = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return [phrase for phrase in NEVER_SAY if phrase in normalised]
