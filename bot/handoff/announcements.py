"""What the visitor is told when people take over, wait, hand over or leave.

Every text names the person: the customer should always know who has their
conversation, and is told a name only for the person who will take it (the chat
is reserved for them meanwhile). The queue line is one situation at a time: agents
online but busy, the team away until a time in the business's time zone
(bot/business_hours.py), or nobody online. No rasa import (the gateway and the
action server both use it).
"""

from __future__ import annotations

from typing import Protocol

from bot.handoff.routing import RoutingReason


class NamedAgent(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def first_name(self) -> str: ...


_WHY = {
    "helped_before": "who helped you last time",
    "skill": "who looks after problems like yours",
    "any": "the first colleague free right now",
}


def passing_to(agent: NamedAgent, reason: RoutingReason, history: bool = True) -> str:
    """The customer is told who will take the chat (reserved for that person: see
    bot/ownership.py). ``history``: the customer told the bot more than that they want
    a person, so there is something for the agent to see."""
    text = f"I'm passing you to {agent.first_name} from our {agent.team} team, {_WHY[reason]}."
    if history:
        text += (
            f" {agent.first_name} can see everything you've told me, so you won't have to "
            "repeat anything."
        )
    return text


def will_join(agent: NamedAgent) -> str:
    return f"{agent.first_name} will join you here in a moment."


def joined(agent: NamedAgent) -> str:
    return f"{agent.first_name} from our {agent.team} team has joined the chat."


def describe_wait(seconds: int | None) -> str:
    if seconds is None:
        return "Nobody from the team is online right now, so I can't promise a time"
    minutes = max(1, round(seconds / 60))
    return f"The wait is about {minutes} minute{'s' if minutes != 1 else ''}"


def _place(position: int) -> str:
    return "next in line" if position == 1 else f"number {position} in the queue"


def waiting(position: int, wait_seconds: int | None, back_at: str | None = None) -> str:
    """The queue line for one situation: agents online (place and a realistic wait),
    the team away until ``back_at`` ("on Monday at 9:00 (New York time)"), or open
    hours with nobody online."""
    if wait_seconds is None and back_at:
        return (
            f"You're {_place(position)}. Our team is back {back_at}, and a colleague will "
            "pick your chat up then."
        )
    return f"You're {_place(position)}. {describe_wait(wait_seconds)}."


def nobody_free(position: int, wait_seconds: int | None, back_at: str | None = None) -> str:
    """Nobody can take the chat now: why (one situation, as in ``waiting``), the place
    in the queue, and what the customer can do meanwhile (the quick replies)."""
    place = _place(position)
    if wait_seconds is not None:
        situation = (
            "Everyone on the team is busy with other customers right now. "
            f"You're {place}. {describe_wait(wait_seconds)}."
        )
    elif back_at:
        situation = (
            f"Our team is away right now and back {back_at}. You're {place}, and a "
            "colleague will pick your chat up then."
        )
    else:
        situation = f"{describe_wait(None)}. You're {place}."
    return (
        f"{situation} You can wait here, leave your email address so a colleague writes "
        "to you, or carry on with me."
    )


def reservation_lapsed(position: int, wait_seconds: int | None, back_at: str | None = None) -> str:
    """The colleague the customer was told about could not take the chat in time: it is
    open to whoever is free next (nobody is named again)."""
    return (
        "I'm sorry, that's taking longer than I said. Your chat is now open to the next "
        f"colleague who is free. {waiting(position, wait_seconds, back_at)}"
    )


def transferred(from_agent: NamedAgent, to_agent: NamedAgent) -> str:
    return (
        f"{from_agent.first_name} has passed your chat to {to_agent.first_name} from our "
        f"{to_agent.team} team, who can see the whole conversation."
    )


def stepped_away(agent: NamedAgent) -> str:
    return (
        f"{agent.first_name} had to step away, so you're back at the front of the queue. "
        "The next colleague who is free will pick this up and see everything so far."
    )


def closed_by(agent: NamedAgent) -> str:
    return f"{agent.first_name} closed the chat. Thank you for talking to us."


def email_kept(email: str) -> str:
    return (
        f"Thank you. I've added {email} to your request: if nobody can reply here, "
        "the first colleague who is free will write to you there. You can keep waiting "
        "here too."
    )


def held_back(source: str, open_requests: int) -> str:
    """A request for a person that was not queued: its source has enough waiting
    (bot/handoff/flood.py). Says plainly that nobody will join this chat, and where
    the customer will be answered."""
    if source == "customer":
        where = "You already have a request for a colleague waiting in another chat"
    else:
        count = "a request" if open_requests == 1 else f"{open_requests} requests"
        where = f"There are already {count} for a colleague waiting from your connection"
    return (
        f"{where}, so I can't add another one to the queue: that keeps the wait fair "
        "for everyone. A colleague will answer you in the chat where you asked first. "
        "Meanwhile I'm happy to keep helping you here."
    )
