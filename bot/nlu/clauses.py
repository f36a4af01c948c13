"""A message cut into its clauses, so each problem in it can be read on its own.

"got the wrong colour phone case AND no screen protector" is two problems; a classifier
that reads the whole message names the first. Pure functions. No rasa import.
"""

from __future__ import annotations

import re

CLAUSE_BREAK = re.compile(
    r"""
    [.!?;]+(?:\s+|$)                       # the end of a sentence
    | \n+                                  # a new line
    | :\s+                                 # "order 4471: the rug is torn"
    | \s+[-–—]\s+                          # a dash between words
    | ,?\s+(?:and\ also|and|also|plus|but|then|as\ well\ as|on\ top\ of\ that)\s+
    | \s+&\s+ | \s+\+\s+                   # "&" and "+" between words
    """,
    re.IGNORECASE | re.VERBOSE,
)
LEADING_JOINER = re.compile(r"^(?:and|also|plus|but|then)\s+", re.IGNORECASE)
"""A joining word left at the start of a clause ("- and the box was crushed")."""
MIN_CLAUSE_WORDS = 3
"""Shorter pieces ("order 4471", "ffs") name no problem of their own."""


def clauses_of(text: str, min_words: int = MIN_CLAUSE_WORDS) -> list[str]:
    """The clauses of ``text`` with at least ``min_words`` words, in order."""
    pieces = (LEADING_JOINER.sub("", piece.strip(" ,")) for piece in CLAUSE_BREAK.split(text))
    return [piece for piece in pieces if len(piece.split()) >= min_words]
