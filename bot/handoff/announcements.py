"""What the visitor is told when people take over, wait, hand over or leave.

Every text names the person: the customer should always know who has their
conversation. No rasa import (the gateway and the action server both use it).
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


def passing_to(agent: NamedAgent, reason: RoutingReason) -> str:
    return (
        f"I'm passing you to {agent.first_name} from our {agent.team} team, {_WHY[reason]}. "
        f"{agent.first_name} can see everything you've told me, so you won't have to "
        "repeat anything."
    )


def will_join(agent: NamedAgent) -> str:
    return f"{agent.first_name} will join you here in a moment."


def joined(agent: NamedAgent) -> str:
    return f"{agent.first_name} from our {agent.team} team has joined the chat."


def describe_wait(seconds: int | None) -> str:
    if seconds is None:
        return "Nobody from the team is online right now, so I can't promise a time"
    minutes = max(1, round(seconds / 60))
    return f"The wait is about {minutes} minute{'s' if minutes != 1 else ''}"


def waiting(position: int, wait_seconds: int | None) -> str:
    place = "next in line" if position == 1 else f"number {position} in the queue"
    return f"You're {place}. {describe_wait(wait_seconds)}."


def nobody_free(position: int, wait_seconds: int | None, reply_time: str) -> str:
    return (
        "Everyone on the team is busy or away at the moment. "
        f"{waiting(position, wait_seconds)} People usually reply {reply_time}. "
        "You can wait here, leave your email address so the first colleague who is free "
        "writes to you, or carry on with me."
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
