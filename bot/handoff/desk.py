"""The handoff desk: every move of a conversation between the bot and named people.

Each move is an ownership transition (bot/ownership.py, atomic) followed by what
it means for everyone: a ``handoff`` entry in the transcript (the visitor sees
who has their conversation), an event on ``agent-events`` (consoles update), and
for hand-backs the resume work for the bot. Only the winner of a transition does
the rest, so nothing is announced twice. No rasa import.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import redis.asyncio as redis

from bot import redis_keys
from bot.agents.avatars import avatar_id, public_avatar_url
from bot.agents.presence import Presence, Status
from bot.agents.roster import AgentProfile, Roster, RosterCache
from bot.business_hours import BusinessHours, BusinessHoursError
from bot.chat_ids import ChatIds, chat_id
from bot.handoff import announcements
from bot.handoff.flood import HandoffFloodGuard, HeldBack
from bot.handoff.queue import HandoffQueue, estimate_wait_seconds
from bot.handoff.reservation import DEFAULT_RESERVATION_SECONDS, reservation_in
from bot.handoff.routing import Candidate, RoutingDecision, choose_agent
from bot.inbox import InboxMessage, new_message_id, queued_for_bot
from bot.ownership import Ownership, Transition, agent_owner, owning_agent
from bot.retention import RetentionPolicy
from bot.transcript import (
    QueuedWork,
    Transcript,
    TranscriptEntry,
    publish_live,
    utc_timestamp,
)

logger = logging.getLogger(__name__)


def handoff_agent(agent: AgentProfile) -> dict[str, Any]:
    """How an agent is named to the visitor (handoff events, ``session_state``): ``id``
    is their opaque avatar id, never the login id (bot/agents/avatars.py)."""
    return {
        "id": avatar_id(agent),
        "name": agent.first_name,
        "team": agent.team,
        "avatar_url": public_avatar_url(agent),
    }


def agent_sender(agent: AgentProfile) -> dict[str, Any]:
    """The ``sender`` of an agent's messages and typing."""
    return {"kind": "agent", **handoff_agent(agent), "full_name": agent.name}


@dataclass(frozen=True)
class Routed:
    """Where routing sent a conversation."""

    decision: RoutingDecision | None
    agent: AgentProfile | None
    """The decision's agent (``None`` when nobody has room)."""


@dataclass(frozen=True)
class QueuePlace:
    """What a waiting customer is told about their wait."""

    position: int
    wait_seconds: int | None
    """A realistic wait; ``None`` while nobody is online."""
    back_at: str | None
    """While nobody is online outside business hours: when the team is back
    ("on Monday at 9:00 (New York time)")."""
    reserved_for: AgentProfile | None
    """The agent the chat is reserved for (the customer was told their name)."""

    @property
    def line(self) -> str:
        """The one queue line for this situation (header updates, "I'll wait")."""
        if self.reserved_for is not None:
            return announcements.will_join(self.reserved_for)
        return announcements.waiting(self.position, self.wait_seconds, self.back_at)


def _no_hours() -> BusinessHours | None:
    return None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class HandoffDesk:
    """Makes the handoff's moves; one per process (gateway or action server)."""

    def __init__(
        self,
        client: redis.Redis,
        transcript: Transcript,
        roster: RosterCache,
        presence: Presence,
        kick: Callable[[str], None] | None = None,
        hours: Callable[[], BusinessHours | None] = _no_hours,
        reservation_seconds: float = DEFAULT_RESERVATION_SECONDS,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.client = client
        self.transcript = transcript
        self.roster_cache = roster
        self.presence = presence
        self.ownership = Ownership(client)
        self.queue = HandoffQueue(client)
        self.flood_guard = HandoffFloodGuard(client)
        self.kick = kick or (lambda _session_id: None)
        """Starts the bot's work on a conversation's inbox at once (the gateway's
        forwarder); without it, the gateways' sweepers find the work within seconds."""
        self.hours = hours
        """The business hours now (bot/business_hours.py; ``None``: no hours kept)."""
        self.reservation_seconds = reservation_seconds
        self.retention = retention or RetentionPolicy()
        """How long the agent who last helped a customer is remembered (customer index)."""
        self.clock: Callable[[], datetime] = _utc_now
        """The time business hours are read at (tests fix it)."""

    def roster(self) -> Roster:
        return self.roster_cache.get()

    async def publish(self, event_type: str, **payload: Any) -> None:
        """An event for the agents' consoles, on every gateway."""
        message = json.dumps({"type": event_type, **payload})
        await self.client.publish(redis_keys.AGENT_EVENTS_CHANNEL, message)

    async def set_presence(self, agent_id: str, status: Status) -> None:
        """An agent chose online / away or logged out: the waits told to waiting
        customers change, so every gateway re-tells them (and consoles update)."""
        await self.presence.set_status(agent_id, status)
        await self.publish("presence_changed", agent_id=agent_id, status=status)

    # Routing and queueing (the handoff action).

    async def candidates(self) -> list[Candidate]:
        agents = self.roster().active()
        statuses = await self.presence.statuses()
        loads = await self.presence.loads([a.agent_id for a in agents])
        promised = await self.queue.routed_counts()
        return [
            Candidate(
                profile=agent,
                status=statuses.get(agent.agent_id, "offline"),
                load=loads.get(agent.agent_id, 0) + promised.get(agent.agent_id, 0),
            )
            for agent in agents
        ]

    async def route(self, category: str | None, customer_key: str) -> Routed:
        candidates = await self.candidates()
        last = await self.client.get(redis_keys.customer_last_agent_key(customer_key))
        last_id = last.decode() if isinstance(last, bytes) else last
        decision = choose_agent(candidates, category, last_id)
        agent = self.roster().get(decision.agent_id) if decision else None
        return Routed(decision=decision, agent=agent)

    async def hold_back_if_flooding(self, session_id: str, customer_key: str) -> HeldBack | None:
        """``None`` if the conversation may be queued (its place among its source's open
        requests is reserved); else it is held back, and the agents are shown the flood
        (bot/handoff/flood.py)."""
        held = await self.flood_guard.reserve(session_id, customer_key)
        if held is not None:
            logger.warning(
                "handoff.held_back source=%s open=%d held_back=%d",
                held.source, held.open_requests, held.held_back,
            )  # fmt: skip
            await self.publish(
                "handoff_held_back",
                source=held.source,
                open_requests=held.open_requests,
                held_back=held.held_back,
            )
            await self.publish("queue_changed", session_id="")
        return held

    async def queue_conversation(
        self, session_id: str, routed: Routed, fields: dict[str, str]
    ) -> Transition:
        """bot → queued with the handoff's fields (packet, summary, category…)."""
        stored = {
            **fields,
            "queued_at": utc_timestamp(),
            "queued_ts": str(time.time()),
            "routed_to": routed.agent.agent_id if routed.agent else "",
            "routing_reason": routed.decision.reason if routed.decision else "",
            "reserved_until": str(time.time() + self.reservation_seconds) if routed.agent else "",
        }
        transition = await self.ownership.queue(session_id, stored)
        if transition.ok:
            # Agents will address the chat by its chat id: it must lead back here.
            await ChatIds(self.client).remember([session_id])
            await self.publish("queue_changed", session_id=session_id)
        return transition

    async def waiting_position(self, session_id: str) -> tuple[int | None, int | None]:
        """The conversation's place in the queue and a realistic wait (seconds)."""
        return (await self.waiting_positions({session_id})).get(session_id, (None, None))

    async def waiting_positions(self, session_ids: set[str]) -> dict[str, tuple[int, int | None]]:
        """Place and realistic wait of each of ``session_ids`` that is queued (a few
        round trips however many there are: every gateway asks this on each queue move)."""
        queued = await self.queue.session_ids()
        mine = [(place, sid) for place, sid in enumerate(queued, start=1) if sid in session_ids]
        if not mine:
            return {}
        online = sum(1 for s in (await self.presence.statuses()).values() if s == "online")
        per_chat = await self.queue.typical_wait_per_chat()
        return {sid: (place, estimate_wait_seconds(place, online, per_chat)) for place, sid in mine}

    async def queue_places(self, session_ids: set[str]) -> dict[str, QueuePlace]:
        """What each queued one of ``session_ids`` is told: place, wait, when the team is
        back if nobody is online out of hours, and the agent it is reserved for."""
        positions = await self.waiting_positions(session_ids)
        if not positions:
            return {}
        now = time.time()
        reserved = await self.queue.reservations()
        back_at = None
        if any(wait is None for _, wait in positions.values()):
            back_at = self.team_back_at()
        places = {}
        for session_id, (position, wait) in positions.items():
            reservation = reservation_in(reserved.get(session_id, {}), now)
            agent = self.roster().get(reservation.agent_id) if reservation else None
            places[session_id] = QueuePlace(
                position=position,
                wait_seconds=wait,
                back_at=back_at if wait is None else None,
                reserved_for=agent,
            )
        return places

    async def queue_place(self, session_id: str) -> QueuePlace | None:
        return (await self.queue_places({session_id})).get(session_id)

    def team_back_at(self) -> str | None:
        """When the team is back, if the business is closed now (``None`` when open, or
        when no hours are kept or the file is broken: no promise is better than a wrong one)."""
        try:
            hours = self.hours()
            now = self.clock()
            if hours is None or hours.is_open(now):
                return None
            return hours.back_at(now)
        except BusinessHoursError:
            logger.warning("desk.hours_unreadable", exc_info=True)
            return None

    async def lapse_reservations(self) -> int:
        """Reservations past their window, or whose agent is no longer online, end: the
        customer hears that the chat is open to the next free colleague (every gateway
        runs this; the lapse is atomic, so each customer is told once)."""
        reserved = await self.queue.reservations()
        if not reserved:
            return 0
        now = time.time()
        statuses = await self.presence.statuses()
        lapsed = 0
        for session_id, fields in reserved.items():
            agent_id = fields["routed_to"]
            gone = statuses.get(agent_id, "offline") != "online"
            if reservation_in(fields, now) is not None and not gone:
                continue
            transition = await self.ownership.lapse_reservation(session_id, agent_id, gone)
            if not transition.ok:
                continue
            lapsed += 1
            place = await self.queue_place(session_id)
            position, wait = (place.position, place.wait_seconds) if place else (1, None)
            text = announcements.reservation_lapsed(
                position, wait, place.back_at if place else None
            )
            await self._announce(
                session_id, "queued", text, position=position, wait_seconds=wait,
                reason="reservation_lapsed",
            )  # fmt: skip
            await self.publish("queue_changed", session_id=session_id)
            logger.info("desk.reservation_lapsed chat=%s agent=%s", chat_id(session_id), agent_id)
        return lapsed

    # The agents' moves (the agent API).

    async def claim(self, session_id: str, agent: AgentProfile) -> Transition:
        transition = await self.ownership.claim(session_id, agent.agent_id, agent.max_chats)
        if not transition.ok:
            return transition
        handoff = await self.queue.handoff(session_id)
        if handoff.get("queued_ts"):
            await self.queue.record_wait(time.time() - float(handoff["queued_ts"]))
        if handoff.get("customer_key"):
            await self._remember_last_agent(handoff["customer_key"], agent)
        await self._announce(
            session_id, "assigned", announcements.joined(agent), agent=handoff_agent(agent)
        )
        await self.publish("chat_assigned", session_id=session_id, agent_id=agent.agent_id)
        await self.publish("queue_changed", session_id=session_id)
        return transition

    async def _remember_last_agent(self, customer_key: str, agent: AgentProfile) -> None:
        """Who last helped this customer (routing prefers them), for the customer-index
        retention from now."""
        await self.client.set(
            redis_keys.customer_last_agent_key(customer_key),
            agent.agent_id,
            ex=self.retention.seconds("customer_index"),
        )

    async def transfer(
        self, session_id: str, from_agent: AgentProfile, to_agent: AgentProfile
    ) -> Transition:
        transition = await self.ownership.transfer(
            session_id, from_agent.agent_id, to_agent.agent_id, to_agent.max_chats
        )
        if not transition.ok:
            return transition
        handoff = await self.queue.handoff(session_id)
        if handoff.get("customer_key"):
            await self._remember_last_agent(handoff["customer_key"], to_agent)
        await self._announce(
            session_id,
            "transferred",
            announcements.transferred(from_agent, to_agent),
            agent=handoff_agent(to_agent),
            from_agent=handoff_agent(from_agent),
        )
        await self.publish("chat_released", session_id=session_id, agent_id=from_agent.agent_id)
        await self.publish("chat_assigned", session_id=session_id, agent_id=to_agent.agent_id)
        return transition

    async def hand_back(
        self, session_id: str, agent: AgentProfile, resume_point: str, note: str | None
    ) -> Transition:
        """agent → bot; the bot picks up at ``resume_point`` (one of inbox.RESUME_POINTS)."""
        resume = _resume_work(
            session_id, resume_point, {"agent": handoff_agent(agent), "note": note}
        )
        transition = await self.ownership.hand_back(session_id, agent.agent_id, resume)
        if not transition.ok:
            return transition
        await self._handed_back(
            session_id,
            resume_point,
            text=f"{agent.first_name} handed the chat back to the assistant.",
            by="agent",
        )
        await self.publish("chat_released", session_id=session_id, agent_id=agent.agent_id)
        return transition

    async def carry_on_with_bot(self, session_id: str) -> Transition:
        """queued → bot: the customer would rather carry on with the bot than wait."""
        resume = _resume_work(session_id, "carry_on", {})
        transition = await self.ownership.carry_on_with_bot(session_id, resume)
        if transition.ok:
            await self._handed_back(
                session_id, "carry_on", text="You're back with the assistant.", by="visitor"
            )
            await self.publish("queue_changed", session_id=session_id)
        return transition

    async def close(self, session_id: str, agent: AgentProfile) -> Transition:
        transition = await self.ownership.close(session_id, by_agent=agent.agent_id)
        if transition.ok:
            await self._announce(
                session_id, "closed", announcements.closed_by(agent), by="agent",
                agent=handoff_agent(agent),
            )  # fmt: skip
            await self.publish("chat_released", session_id=session_id, agent_id=agent.agent_id)
        return transition

    async def visitor_closed(self, session_id: str, text: str) -> Transition:
        """The visitor ended the chat, whoever owned it."""
        transition = await self.ownership.close(session_id)
        if transition.ok:
            await self._announce(session_id, "closed", text, by="visitor")
            agent_id = owning_agent(transition.owner_before)
            if agent_id:
                await self.publish("chat_released", session_id=session_id, agent_id=agent_id)
            elif transition.owner_before == "queued":
                await self.publish("queue_changed", session_id=session_id)
        return transition

    async def requeue_from_gone_agents(self) -> int:
        """Chats of agents offline beyond the grace period go back to the queue's front."""
        moved = 0
        for agent_id in await self.presence.gone_beyond_grace():
            for session_id in await self.presence.chats_of(agent_id):
                transition = await self.ownership.requeue(session_id, agent_id)
                if not transition.ok:
                    continue
                moved += 1
                agent = self.roster().get(agent_id)
                position, wait = await self.waiting_position(session_id)
                text = (
                    announcements.stepped_away(agent)
                    if agent
                    else "You're back at the front of the queue."
                )
                await self._announce(
                    session_id, "queued", text, position=position or 1, wait_seconds=wait,
                    reason="agent_offline",
                )  # fmt: skip
                await self.publish("chat_released", session_id=session_id, agent_id=agent_id)
                await self.publish("queue_changed", session_id=session_id)
                logger.info("desk.requeued chat=%s from=%s", chat_id(session_id), agent_id)
        return moved

    async def leave_email(self, session_id: str, email: str) -> bool:
        if not await self.queue.leave_email(session_id, email):
            return False
        await self.transcript.append(
            session_id, "system", text=announcements.email_kept(email), sender={"kind": "system"}
        )
        await self.publish("queue_changed", session_id=session_id)
        return True

    # Messages while an agent owns the conversation.

    async def agent_message(
        self, session_id: str, agent: AgentProfile, text: str
    ) -> TranscriptEntry | None:
        """Record the agent's message (and queue it for the Rasa tracker); ``None`` if the
        agent does not own the conversation."""
        sender = agent_sender(agent)
        work = queued_for_bot(
            session_id,
            InboxMessage(
                message_id=new_message_id(session_id),
                text=text,
                metadata={"agent": handoff_agent(agent)},
                mode="record_agent",
            ),
        )
        entry = await self.transcript.append_if(
            session_id,
            "agent",
            guard=(redis_keys.owner_key(session_id), agent_owner(agent.agent_id)),
            queue=work,
            text=text,
            sender=sender,
        )
        if entry is None:
            return None
        self.kick(session_id)
        return entry

    async def agent_typing(self, session_id: str, agent: AgentProfile, typing: bool) -> None:
        """The agent is typing (or stopped): shown to the visitor, not recorded."""
        payload = {"sender": agent_sender(agent), "typing": typing}
        await publish_live(self.client, session_id, "typing", payload)

    async def _handed_back(self, session_id: str, resume_point: str, text: str, by: str) -> None:
        """The line the visitor sees; the bot's resume work was queued with the transition."""
        await self._announce(session_id, "handed_back", text, by=by, resume_point=resume_point)
        self.kick(session_id)

    async def _announce(self, session_id: str, state: str, text: str, **fields: Any) -> None:
        body = {"state": state, "text": text, **{k: v for k, v in fields.items() if v is not None}}
        await self.transcript.append(session_id, "system", handoff=body)


def _resume_work(session_id: str, resume_point: str, metadata: dict[str, Any]) -> QueuedWork:
    """The bot's first work after people: resume at ``resume_point``."""
    return queued_for_bot(
        session_id,
        InboxMessage(
            message_id=new_message_id(session_id),
            text=resume_point,
            metadata=metadata,
            mode="resume",
        ),
    )
