"""A payment that did not go through, in the customer's words: "my card keeps getting
declined", "the payment page just errors", "I can't pay for my order".

Pure functions over text, used by the NLU component that sets the ``payment_failure``
entity (bot/nlu/detail_extractor.py). A billing complaint with one is restated as a
payment that did not go through, not as a wrong charge. No rasa import.
"""

from __future__ import annotations

import re

from bot.nlu.details import Found

_PAYING = (
    r"(?:card|payment|paying|transaction|checkout|check-out|paypal|apple pay|google pay"
    r"|direct debit|bank transfer)"
)
_FAILING = (
    r"(?:(?:keeps?|kept) (?:getting |being )?)?"
    r"(?:declined|declines|declining|rejected|refused|failed|fails|failing|bounc\w+"
    r"|errors?(?:ed)?|erroring|times? out|timed out"
    r"|won'?t go through|wont go through|didn'?t go through|did not go through"
    r"|isn'?t going through|won'?t work|isn'?t working|doesn'?t work|not working)"
)
_PAYMENT_FAILURE = re.compile(
    rf"\b{_PAYING}\b[^.!?\n]{{0,40}}?\b{_FAILING}(?!\w)"
    r"|\b(?:can'?t|cannot|can not|unable to|couldn'?t|could not|won'?t let me)\s+"
    r"(?:pay\b|make (?:a |the |my )?payment|complete (?:the |my )?(?:payment|purchase|checkout)"
    r"|check ?out\b)"
    r"|\b(?:transaction|payment) (?:declined|failed|error|refused)\b"
    r"|\b(?:problem|issue|trouble)s? (?:with |making |paying )?(?:a |the |my )?payment\b",
    re.IGNORECASE,
)
_NOT_A_FAILURE = re.compile(
    r"\b(?:if|what happens if|in case|what if)\b[^.!?]{0,30}$", re.IGNORECASE
)
"""'What happens if my card is declined?' asks how things work."""


def find_payment_failures(text: str) -> list[Found]:
    """Each place ``text`` says a payment did not go through, as written."""
    return [
        Found(match.group(), match.start(), match.end())
        for match in _PAYMENT_FAILURE.finditer(text)
        if not _NOT_A_FAILURE.search(text[: match.start()])
    ]
