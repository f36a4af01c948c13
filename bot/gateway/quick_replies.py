"""Quick replies coming back from the visitor: shown by their title, sent by payload.

The bot's latest turn offers quick replies (``{title, payload}``; the forwarder
keeps them in the session, ``offered_quick_replies``, so every gateway knows them).
A visitor message that is exactly one of their payloads is that choice: the
transcript records the title as the visitor's words (and the payload beside it),
and the payload goes to Rasa unchanged, even one starting with '/'
(``/affirm``, ``/inform{"correction_part":"order_id"}``). Any other text starting
with '/' is neutralised (bot/gateway/payloads.py), so a visitor cannot type an
intent the bot did not offer. The queue choices are the gateway's own (handled
while queued; sent to the bot later, a stale button, they are text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.gateway.payloads import neutralise_slash_command
from bot.inbox import QUEUE_CARRY_ON, QUEUE_EMAIL, QUEUE_WAIT

QUEUE_CHOICES = (QUEUE_WAIT, QUEUE_EMAIL, QUEUE_CARRY_ON)


@dataclass(frozen=True)
class ChosenQuickReply:
    title: str
    payload: str


def chosen_quick_reply(offered: Any, text: str) -> ChosenQuickReply | None:
    """The offered quick reply whose payload is exactly ``text``, if any."""
    if not isinstance(offered, list):
        return None
    for reply in offered:
        if not isinstance(reply, dict) or reply.get("payload") != text:
            continue
        title = reply.get("title")
        return ChosenQuickReply(
            title=title if isinstance(title, str) and title else text, payload=text
        )
    return None


def text_for_rasa(text: str, chosen: ChosenQuickReply | None) -> str:
    """What Rasa reads: an offered payload as it is; anything else starting with '/'
    neutralised."""
    if chosen is not None and chosen.payload not in QUEUE_CHOICES:
        return chosen.payload
    return neutralise_slash_command(text)
