"""Choosing the named person a conversation goes to.

In order: the agent who last helped this customer, if online with room; an
online agent whose skills cover the complaint's category, least loaded first;
any online agent with room, least loaded first. "Away" agents and disabled
ones are never chosen. Pure functions: the caller gathers presence and loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

RoutingReason = Literal["helped_before", "skill", "any"]


class RoutableAgent(Protocol):
    @property
    def agent_id(self) -> str: ...
    @property
    def skills(self) -> tuple[str, ...]: ...
    @property
    def max_chats(self) -> int: ...
    @property
    def disabled(self) -> bool: ...


@dataclass(frozen=True)
class Candidate:
    """An agent as routing sees them now."""

    profile: RoutableAgent
    status: str
    """``online``, ``away`` or ``offline``."""
    load: int
    """Chats they own plus queued chats already routed to them."""

    @property
    def has_room(self) -> bool:
        return (
            self.status == "online"
            and not self.profile.disabled
            and self.load < self.profile.max_chats
        )


@dataclass(frozen=True)
class RoutingDecision:
    agent_id: str
    reason: RoutingReason


def choose_agent(
    candidates: list[Candidate], category: str | None, last_agent_id: str | None
) -> RoutingDecision | None:
    """The agent to hand the conversation to, and why; ``None`` if nobody has room."""
    available = [c for c in candidates if c.has_room]
    if not available:
        return None
    for candidate in available:
        if candidate.profile.agent_id == last_agent_id:
            return RoutingDecision(candidate.profile.agent_id, "helped_before")

    def least_loaded(group: list[Candidate]) -> Candidate:
        return min(group, key=lambda c: (c.load / c.profile.max_chats, c.load, c.profile.agent_id))

    skilled = [c for c in available if category and category in c.profile.skills]
    if skilled:
        return RoutingDecision(least_loaded(skilled).profile.agent_id, "skill")
    return RoutingDecision(least_loaded(available).profile.agent_id, "any")
