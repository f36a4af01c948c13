"""Running one conversation against the real stack, as a website visitor.

Each conversation gets a fresh visitor session on the gateway (socket.io, protocol 1).
After each customer turn the tracker is read through Rasa's HTTP API: the bot events
after the customer's message give the phrase keys (``metadata.phrase``, or
``utter_action`` for domain responses), the user event the intent, and the slots.
The socket gives what the visitor saw: the texts and the quick-reply buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tests.conversations.model import Conversation
from tests.conversations.observation import (
    BotMessage,
    Button,
    ConversationObservation,
    TurnObservation,
)
from tests.e2e.visitor import RasaApi, Visitor

TURN_TIMEOUT = 30.0
"""Seconds to wait for the end of the bot's turn (a handed-over chat stays silent)."""


async def run_conversation(
    conversation: Conversation, gateway_url: str, rasa: RasaApi
) -> ConversationObservation:
    """Hold the conversation turn by turn; never raises for the bot's behaviour."""
    seen = ConversationObservation(conversation.id)
    visitor = Visitor(gateway_url)
    try:
        await visitor.connect()
        offered: list[Button] = []
        for turn in conversation.turns:
            problem = None
            if turn.click is not None:
                button = next(
                    (b for b in offered if b.title.strip().lower() == turn.click.lower()), None
                )
                if button is None:
                    problem = f"no button titled {turn.click!r} was offered; typed it instead"
                    text = turn.click
                else:
                    text = button.payload
            else:
                text = str(turn.say)
            observed = await observe_turn(visitor, rasa, text)
            observed.problem = "; ".join(filter(None, [problem, observed.problem])) or None
            seen.turns.append(observed)
            offered = [b for m in observed.messages for b in m.buttons]
    except Exception as error:  # a broken connection must not stop the other conversations
        seen.error = f"{type(error).__name__}: {error}"
    finally:
        with contextlib.suppress(Exception):
            await visitor.close()
    return seen


async def observe_turn(visitor: Visitor, rasa: RasaApi, text: str) -> TurnObservation:
    """Send one message; what the bot did in reply, from the socket and the tracker."""
    start = len(visitor.received)
    observed = TurnObservation(sent=text)
    try:
        await visitor.say(text, timeout=TURN_TIMEOUT)
    except asyncio.TimeoutError:
        observed.problem = f"no end of the bot's turn within {TURN_TIMEOUT:.0f} s"
    socket_messages = [
        BotMessage(text=str(data.get("text") or ""), buttons=_buttons(data))
        for event, data in visitor.received[start:]
        if event == "bot_uttered" and isinstance(data, dict)
    ]
    tracker = await rasa.tracker(visitor.session_id)
    user_event, bot_events = _latest_exchange(tracker.get("events") or [])
    if user_event is not None:
        observed.intent = ((user_event.get("parse_data") or {}).get("intent") or {}).get("name")
    observed.slots = dict(tracker.get("slots") or {})
    observed.messages = _merge(socket_messages, bot_events)
    return observed


def _latest_exchange(
    events: list[dict[str, Any]],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The last user event and the bot events after it."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            after = [e for e in events[index + 1 :] if e.get("event") == "bot"]
            return events[index], after
    return None, [e for e in events if e.get("event") == "bot"]


def _merge(socket_messages: list[BotMessage], bot_events: list[dict[str, Any]]) -> list[BotMessage]:
    """The visible messages, each given the phrase key of the tracker event with its
    text; tracker events never seen on the socket are kept, marked invisible."""
    unmatched = list(bot_events)
    for message in socket_messages:
        event = next((e for e in unmatched if (e.get("text") or "") == message.text), None)
        if event is not None:
            unmatched.remove(event)
            message.phrase = _phrase(event)
            if not message.buttons:
                message.buttons = _buttons(event.get("data") or {})
    hidden = [
        BotMessage(
            text=str(e.get("text") or ""),
            phrase=_phrase(e),
            buttons=_buttons(e.get("data") or {}),
            visible=False,
        )
        for e in unmatched
    ]
    return socket_messages + hidden


UNVERIFIED_WORDING = "_unverified"
"""Suffix of the phrases that word an act for an anonymous visitor (``order_cancelled``
becomes ``order_cancelled_unverified``: the team checks the order is theirs first). The
evaluation's visitors are anonymous; the act is the same, so it is scored as one."""


def _phrase(event: dict[str, Any]) -> str | None:
    metadata = event.get("metadata") or {}
    phrase = metadata.get("phrase") or metadata.get("utter_action")
    return str(phrase).removesuffix(UNVERIFIED_WORDING) if phrase else None


def _buttons(data: dict[str, Any]) -> list[Button]:
    raw = data.get("quick_replies") or data.get("buttons") or []
    return [
        Button(str(b.get("title", "")), str(b.get("payload", "")))
        for b in raw
        if isinstance(b, dict)
    ]
