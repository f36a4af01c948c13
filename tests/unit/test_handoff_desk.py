"""bot/handoff/desk.py on the real test Redis, with the real transcript, roster and presence."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.agents.avatars import avatar_id
from bot.agents.demo import DEMO_AGENTS_FILE
from bot.agents.presence import Presence, PresenceTimes
from bot.agents.roster import AgentProfile, RosterCache, load_roster
from bot.chat_ids import chat_id
from bot.handoff import announcements
from bot.handoff.desk import HandoffDesk
from bot.handoff.queue import DEFAULT_WAIT_PER_CHAT_SECONDS
from bot.ownership import BOT, CLOSED, QUEUED, Ownership, owner_of
from bot.transcript import Transcript
from tests.unit.conftest import confirmed_subscription

SESSION = "s-1"
CUSTOMER = "c-1"
LONG = PresenceTimes(heartbeat_timeout=30, grace=60)
"""Times no test outlasts: an agent seen now stays online for the whole test."""
SHORT = PresenceTimes(heartbeat_timeout=0.2, grace=0.2)
PAST_GRACE = 0.35
"""A sleep longer than SHORT's grace."""
PACKET = {"summary": "refund not received", "order_id": "48213"}
DEMO_ROSTER = load_roster(DEMO_AGENTS_FILE)
MARIA_AVATAR = avatar_id(DEMO_ROSTER.agents["maria"])
TOM_AVATAR = avatar_id(DEMO_ROSTER.agents["tom"])
MARIA_IN_HANDOFF = {
    "id": MARIA_AVATAR,  # the opaque avatar id, never the login id
    "name": "Maria",
    "team": "billing",
    "avatar_url": f"/console/avatars/{MARIA_AVATAR}.svg",
}
TOM_IN_HANDOFF = {
    "id": TOM_AVATAR,
    "name": "Tom",
    "team": "delivery",
    "avatar_url": f"/console/avatars/{TOM_AVATAR}.svg",
}


@pytest.fixture
async def db(client) -> redis.Redis:
    """The bytes client (like the gateway's), on an emptied database."""
    await client.flushdb()
    return client


@pytest.fixture
def roster() -> RosterCache:
    return RosterCache(DEMO_AGENTS_FILE)


@pytest.fixture
def kicks() -> list[str]:
    return []


@pytest.fixture
def desk(db, roster, kicks) -> HandoffDesk:
    return HandoffDesk(db, Transcript(db), roster, Presence(db, LONG), kick=kicks.append)


@pytest.fixture
def maria(roster) -> AgentProfile:
    return roster.get().agents["maria"]


@pytest.fixture
def tom(roster) -> AgentProfile:
    return roster.get().agents["tom"]


@pytest.fixture
def priya(roster) -> AgentProfile:
    return roster.get().agents["priya"]


@pytest.fixture
async def events(client) -> AsyncIterator[redis.client.PubSub]:
    """Listening on the agents' channel (confirmed before the test starts)."""
    pubsub = await confirmed_subscription(client, redis_keys.AGENT_EVENTS_CHANNEL)
    yield pubsub
    await pubsub.unsubscribe()
    await pubsub.close()


async def published(pubsub: redis.client.PubSub, client: redis.Redis) -> list[dict[str, Any]]:
    """Every event published since the last call: a marker is published, and everything
    received before it is returned (so "nothing was published" is checked exactly)."""
    await client.publish(redis_keys.AGENT_EVENTS_CHANNEL, json.dumps({"type": "test-marker"}))
    received: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if raw is None:
            continue
        message = json.loads(raw["data"])
        if message["type"] == "test-marker":
            return received
        received.append(message)
    raise AssertionError(f"the marker never arrived; received {received}")


def fields(category: str = "refund", customer_key: str = CUSTOMER) -> dict[str, str]:
    return {
        "customer_key": customer_key,
        "category": category,
        "summary": "refund not received",
        "trigger": "customer_request",
        "packet": json.dumps(PACKET),
    }


async def queue(
    desk: HandoffDesk,
    session_id: str = SESSION,
    category: str = "refund",
    customer_key: str = CUSTOMER,
) -> None:
    routed = await desk.route(category, customer_key)
    assert (await desk.queue_conversation(session_id, routed, fields(category, customer_key))).ok


async def handoffs(desk: HandoffDesk, session_id: str = SESSION) -> list[dict[str, Any]]:
    """The ``handoff`` bodies of the conversation's transcript, in order."""
    return [e.body["handoff"] for e in await desk.transcript.all(session_id) if "handoff" in e.body]


async def inbox(client: redis.Redis, session_id: str = SESSION) -> list[dict[str, Any]]:
    return [
        json.loads(item) for item in await client.lrange(redis_keys.inbox_key(session_id), 0, -1)
    ]


async def online(client: redis.Redis, *agent_ids: str) -> None:
    for agent_id in agent_ids:
        await Presence(client, LONG).heartbeat(agent_id)


# Routing with real presence


async def test_nobody_online_routes_to_nobody(desk):
    routed = await desk.route("refund", CUSTOMER)

    assert routed.decision is None
    assert routed.agent is None


@pytest.mark.parametrize(
    ("category", "agent_id"),
    [("refund", "maria"), ("billing", "maria"), ("late_delivery", "tom"), ("service", "priya")],
)
async def test_route_picks_the_online_agent_with_the_skill(desk, db, category, agent_id):
    await online(db, "maria", "tom", "priya")

    routed = await desk.route(category, CUSTOMER)

    assert routed.decision is not None
    assert (routed.decision.agent_id, routed.decision.reason) == (agent_id, "skill")
    assert routed.agent is not None
    assert routed.agent.agent_id == agent_id


async def test_route_never_picks_an_away_agent(desk, db):
    await online(db, "maria", "tom")
    await desk.presence.set_status("maria", "away")

    routed = await desk.route("refund", CUSTOMER)

    assert routed.decision is not None
    assert (routed.decision.agent_id, routed.decision.reason) == ("tom", "any")


async def test_route_never_picks_an_offline_agent(desk, db):
    await online(db, "maria", "tom")
    await desk.presence.set_status("maria", "offline")

    routed = await desk.route("refund", CUSTOMER)

    assert routed.decision is not None
    assert routed.decision.agent_id == "tom"


async def test_route_never_picks_a_disabled_agent(db, tmp_path: Path):
    text = DEMO_AGENTS_FILE.read_text().replace(
        "    max_chats: 3\n    disabled: false\n", "    max_chats: 3\n    disabled: true\n", 1
    )
    path = tmp_path / "agents.yml"
    path.write_text(text)
    roster = RosterCache(path)
    assert roster.get().agents["maria"].disabled
    desk = HandoffDesk(db, Transcript(db), roster, Presence(db, LONG))
    await online(db, "maria", "tom")

    routed = await desk.route("refund", CUSTOMER)

    assert routed.decision is not None
    assert routed.decision.agent_id == "tom"


async def test_route_prefers_the_agent_who_helped_this_customer_before(desk, db, tom):
    await online(db, "maria", "tom")
    await queue(desk, "s-earlier", category="late_delivery")
    assert (await desk.claim("s-earlier", tom)).ok
    assert (await desk.hand_back("s-earlier", tom, "resolved", None)).ok

    routed = await desk.route("refund", CUSTOMER)
    other_customer = await desk.route("refund", "c-2")

    assert routed.decision is not None
    assert (routed.decision.agent_id, routed.decision.reason) == ("tom", "helped_before")
    assert other_customer.decision is not None
    assert other_customer.decision.agent_id == "maria"


async def test_route_skips_an_agent_with_no_room_left(desk, db, maria):
    await online(db, "maria", "tom", "priya")
    for n in range(maria.max_chats):
        await queue(desk, f"s-held-{n}", customer_key=f"c-held-{n}")
        assert (await desk.claim(f"s-held-{n}", maria)).ok

    routed = await desk.route("refund", CUSTOMER)

    assert routed.decision is not None
    assert (routed.decision.agent_id, routed.decision.reason) == ("priya", "any")


async def test_route_counts_conversations_already_promised_to_an_agent(desk, db):
    await online(db, "maria", "tom")
    first = await desk.route("service", CUSTOMER)
    assert first.decision is not None
    assert (first.decision.agent_id, first.decision.reason) == ("maria", "any")
    assert (await desk.queue_conversation(SESSION, first, fields("service"))).ok

    second = await desk.route("service", "c-2")

    assert second.decision is not None
    assert second.decision.agent_id == "tom"


# Queueing


async def test_queue_conversation_stores_the_handoff_and_tells_the_consoles(desk, db, events):
    await online(db, "maria")
    routed = await desk.route("refund", CUSTOMER)

    transition = await desk.queue_conversation(SESSION, routed, fields())

    assert transition.ok
    assert transition.owner_before == BOT
    assert await owner_of(desk.client, SESSION) == QUEUED
    stored = await desk.queue.handoff(SESSION)
    assert stored["routed_to"] == "maria"
    assert stored["routing_reason"] == "skill"
    assert stored["customer_key"] == CUSTOMER
    assert stored["queued_at"]
    assert float(stored["queued_ts"]) > 0
    assert await desk.queue.packet(SESSION) == PACKET
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]


async def test_queue_conversation_routed_to_nobody(desk, db, events):
    routed = await desk.route("refund", CUSTOMER)

    assert (await desk.queue_conversation(SESSION, routed, fields())).ok

    stored = await desk.queue.handoff(SESSION)
    assert stored["routed_to"] == ""
    assert stored["routing_reason"] == ""
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]


async def test_queueing_a_queued_conversation_again_is_refused_silently(desk, db, events):
    await queue(desk)
    await published(events, db)
    before = await desk.queue.handoff(SESSION)

    again = await desk.queue_conversation(SESSION, await desk.route("refund", CUSTOMER), fields())

    assert not again.ok
    assert again.status == "not_bot"
    assert await desk.queue.handoff(SESSION) == before
    assert await published(events, db) == []


async def test_waiting_position_gives_the_place_and_an_estimate(desk, db):
    await online(db, "maria", "tom")
    for session_id in ("s-a", "s-b", "s-c"):
        await queue(desk, session_id)

    assert await desk.waiting_position("s-c") == (3, 2 * DEFAULT_WAIT_PER_CHAT_SECONDS)
    assert await desk.waiting_position("never-queued") == (None, None)


async def test_waiting_position_without_anyone_online_has_no_estimate(desk):
    await queue(desk)

    assert await desk.waiting_position(SESSION) == (1, None)


# Claiming


async def test_claim_announces_the_agent_and_remembers_them_for_the_customer(
    desk, db, events, maria
):
    await queue(desk)
    await published(events, db)

    transition = await desk.claim(SESSION, maria)

    assert transition.ok
    assert await owner_of(desk.client, SESSION) == "agent:maria"
    assert await handoffs(desk) == [
        {
            "state": "assigned",
            "text": "Maria from our billing team has joined the chat.",
            "agent": MARIA_IN_HANDOFF,
        }
    ]
    last_agent = await db.get(redis_keys.customer_last_agent_key(CUSTOMER))
    assert last_agent == b"maria"
    remembered_for = await db.ttl(redis_keys.customer_last_agent_key(CUSTOMER))
    index_retention = desk.retention.seconds("customer_index")
    assert index_retention - 60 < remembered_for <= index_retention
    waits = [float(w) for w in await db.lrange(redis_keys.HANDOFF_WAITS, 0, -1)]
    assert len(waits) == 1
    assert 0 <= waits[0] < 60
    assert await published(events, db) == [
        {"type": "chat_assigned", "session_id": SESSION, "agent_id": "maria"},
        {"type": "queue_changed", "session_id": SESSION},
    ]


async def test_a_second_claim_fails_and_records_nothing(desk, db, events, maria, tom):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    second = await desk.claim(SESSION, tom)

    assert not second.ok
    assert (second.status, second.owner_before) == ("not_queued", "agent:maria")
    assert await desk.transcript.all(SESSION) == entries_before
    assert await db.llen(redis_keys.HANDOFF_WAITS) == 1
    assert await db.get(redis_keys.customer_last_agent_key(CUSTOMER)) == b"maria"
    assert await published(events, db) == []


async def test_claim_at_capacity_fails_and_records_nothing(desk, db, maria):
    for n in range(maria.max_chats):
        await queue(desk, f"s-held-{n}", customer_key=f"c-held-{n}")
        assert (await desk.claim(f"s-held-{n}", maria)).ok
    await queue(desk)

    transition = await desk.claim(SESSION, maria)

    assert (transition.ok, transition.status) == (False, "at_capacity")
    assert await desk.transcript.all(SESSION) == []
    assert await owner_of(desk.client, SESSION) == QUEUED


# Transferring


async def test_transfer_announces_the_new_agent(desk, db, events, maria, tom):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    await published(events, db)

    assert (await desk.transfer(SESSION, maria, tom)).ok

    assert (await handoffs(desk))[-1] == {
        "state": "transferred",
        "text": announcements.transferred(maria, tom),
        "agent": TOM_IN_HANDOFF,
        "from_agent": MARIA_IN_HANDOFF,
    }
    assert await db.get(redis_keys.customer_last_agent_key(CUSTOMER)) == b"tom"
    assert await db.ttl(redis_keys.customer_last_agent_key(CUSTOMER)) > 0
    assert await published(events, db) == [
        {"type": "chat_released", "session_id": SESSION, "agent_id": "maria"},
        {"type": "chat_assigned", "session_id": SESSION, "agent_id": "tom"},
    ]


async def test_transfer_by_someone_not_owning_the_chat_records_nothing(
    desk, db, events, maria, tom, priya
):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    assert not (await desk.transfer(SESSION, tom, priya)).ok

    assert await desk.transcript.all(SESSION) == entries_before
    assert await published(events, db) == []


# Agents' messages


async def test_an_agent_message_from_a_non_owner_is_refused(desk, db, kicks, maria, tom):
    await queue(desk)
    assert await desk.agent_message(SESSION, tom, "Hello?") is None  # queued: nobody owns it
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)

    assert await desk.agent_message(SESSION, tom, "Hello, I'm Tom") is None

    assert await desk.transcript.all(SESSION) == entries_before
    assert await inbox(db) == []
    assert kicks == []


async def test_an_agent_message_while_the_bot_owns_the_chat_is_refused(desk, db, maria):
    assert await desk.agent_message(SESSION, maria, "Hello") is None
    assert await desk.transcript.all(SESSION) == []
    assert await inbox(db) == []


async def test_the_owners_message_is_recorded_and_queued_for_the_tracker(desk, db, kicks, maria):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok

    entry = await desk.agent_message(SESSION, maria, "I've refunded the full amount.")

    assert entry is not None
    assert entry.kind == "agent"
    assert entry.text == "I've refunded the full amount."
    assert entry.body["sender"] == {
        "kind": "agent",
        **MARIA_IN_HANDOFF,
        "full_name": "Maria Lopez",
    }
    assert (await desk.transcript.all(SESSION))[-1] == entry
    [work] = await inbox(db)
    assert work["mode"] == "record_agent"
    assert work["text"] == "I've refunded the full amount."
    assert work["metadata"] == {"agent": MARIA_IN_HANDOFF}
    assert work["message_id"].startswith(f"{chat_id(SESSION)}:")  # never the session id
    assert await db.zscore(redis_keys.INBOX_PENDING, SESSION) is not None
    assert kicks == [SESSION]


# Handing back, carrying on with the bot


async def test_hand_back_gives_the_chat_to_the_bot_with_the_resume_point(
    desk, db, events, kicks, maria
):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    await published(events, db)

    transition = await desk.hand_back(SESSION, maria, "resolved", "refund sent")

    assert transition.ok
    assert await owner_of(desk.client, SESSION) == BOT
    assert await desk.presence.chats_of("maria") == []
    last = (await desk.transcript.all(SESSION))[-1]
    assert last.kind == "system"
    assert last.body["handoff"] == {
        "state": "handed_back",
        "by": "agent",
        "text": "Maria handed the chat back to the assistant.",
        "resume_point": "resolved",
    }
    [work] = await inbox(db)
    assert work["mode"] == "resume"
    assert work["text"] == "resolved"
    assert work["metadata"] == {"agent": MARIA_IN_HANDOFF, "note": "refund sent"}
    assert kicks == [SESSION]
    assert await published(events, db) == [
        {"type": "chat_released", "session_id": SESSION, "agent_id": "maria"}
    ]


async def test_hand_back_by_a_non_owner_records_nothing(desk, db, events, kicks, maria, tom):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    transition = await desk.hand_back(SESSION, tom, "continue", None)

    assert (transition.ok, transition.status) == (False, "not_owner")
    assert await owner_of(desk.client, SESSION) == "agent:maria"
    assert await desk.transcript.all(SESSION) == entries_before
    assert await inbox(db) == []
    assert kicks == []
    assert await published(events, db) == []


async def test_carry_on_with_bot_leaves_the_queue_and_resumes_the_bot(desk, db, events, kicks):
    await queue(desk)
    await published(events, db)

    transition = await desk.carry_on_with_bot(SESSION)

    assert transition.ok
    assert await owner_of(desk.client, SESSION) == BOT
    assert await desk.queue.session_ids() == []
    assert (await handoffs(desk))[-1] == {
        "state": "handed_back",
        "by": "visitor",
        "text": "You're back with the assistant.",
        "resume_point": "carry_on",
    }
    [work] = await inbox(db)
    assert (work["mode"], work["text"], work["metadata"]) == ("resume", "carry_on", {})
    assert kicks == [SESSION]
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]


async def test_carry_on_with_bot_once_claimed_does_nothing(desk, db, events, kicks, maria):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    transition = await desk.carry_on_with_bot(SESSION)

    assert (transition.ok, transition.status) == (False, "not_queued")
    assert await desk.transcript.all(SESSION) == entries_before
    assert await inbox(db) == []
    assert kicks == []
    assert await published(events, db) == []


# Closing


async def test_an_agent_closes_their_chat(desk, db, events, maria):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    await published(events, db)

    assert (await desk.close(SESSION, maria)).ok

    assert await owner_of(desk.client, SESSION) == CLOSED
    assert await desk.presence.chats_of("maria") == []
    assert (await handoffs(desk))[-1] == {
        "state": "closed",
        "text": announcements.closed_by(maria),
        "by": "agent",
        "agent": MARIA_IN_HANDOFF,
    }
    assert await published(events, db) == [
        {"type": "chat_released", "session_id": SESSION, "agent_id": "maria"}
    ]


async def test_an_agent_cannot_close_someone_elses_chat(desk, db, events, maria, tom):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    assert not (await desk.close(SESSION, tom)).ok

    assert await owner_of(desk.client, SESSION) == "agent:maria"
    assert await desk.transcript.all(SESSION) == entries_before
    assert await published(events, db) == []


async def test_the_visitor_closes_while_queued(desk, db, events):
    await queue(desk)
    await published(events, db)

    transition = await desk.visitor_closed(SESSION, "You ended the chat.")

    assert (transition.ok, transition.owner_before) == (True, QUEUED)
    assert await owner_of(desk.client, SESSION) == CLOSED
    assert await desk.queue.session_ids() == []
    assert (await handoffs(desk))[-1] == {
        "state": "closed",
        "text": "You ended the chat.",
        "by": "visitor",
    }
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]


async def test_the_visitor_closes_while_with_an_agent(desk, db, events, maria):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    await published(events, db)

    transition = await desk.visitor_closed(SESSION, "You ended the chat.")

    assert (transition.ok, transition.owner_before) == (True, "agent:maria")
    assert await desk.presence.chats_of("maria") == []
    assert (await handoffs(desk))[-1]["state"] == "closed"
    assert await published(events, db) == [
        {"type": "chat_released", "session_id": SESSION, "agent_id": "maria"}
    ]


async def test_the_visitor_closes_while_with_the_bot(desk, db, events):
    transition = await desk.visitor_closed(SESSION, "You ended the chat.")

    assert (transition.ok, transition.owner_before) == (True, BOT)
    assert [h["state"] for h in await handoffs(desk)] == ["closed"]
    assert await published(events, db) == []


async def test_closing_a_closed_chat_again_records_nothing(desk, db, events):
    assert (await desk.visitor_closed(SESSION, "You ended the chat.")).ok
    await published(events, db)

    again = await desk.visitor_closed(SESSION, "You ended the chat.")

    assert (again.ok, again.status) == (False, "already_closed")
    assert len(await desk.transcript.all(SESSION)) == 1
    assert await published(events, db) == []


# Agents who went away


def short_desk(client: redis.Redis, roster: RosterCache) -> HandoffDesk:
    return HandoffDesk(client, Transcript(client), roster, Presence(client, SHORT))


async def gone(client: redis.Redis, agent_id: str) -> None:
    """``agent_id`` logged out long enough ago for the grace to have passed."""
    await Presence(client, SHORT).set_status(agent_id, "offline")
    await asyncio.sleep(PAST_GRACE)


async def test_a_gone_agents_chat_goes_back_to_the_front_of_the_queue(
    desk, db, roster, events, tom
):
    await queue(desk, "s-waiting", customer_key="c-waiting")
    await queue(desk)
    assert (await desk.claim(SESSION, tom)).ok
    await gone(db, "tom")
    await published(events, db)

    moved = await short_desk(db, roster).requeue_from_gone_agents()

    assert moved == 1
    assert await owner_of(desk.client, SESSION) == QUEUED
    assert await desk.queue.session_ids() == [SESSION, "s-waiting"]
    assert await desk.presence.chats_of("tom") == []
    stored = await desk.queue.handoff(SESSION)
    assert stored["requeued_from"] == "tom"
    assert "agent_id" not in stored
    last = (await handoffs(desk))[-1]
    assert last["state"] == "queued"
    assert last["reason"] == "agent_offline"
    assert last["text"] == announcements.stepped_away(tom)
    assert last["position"] == 1
    assert await published(events, db) == [
        {"type": "chat_released", "session_id": SESSION, "agent_id": "tom"},
        {"type": "queue_changed", "session_id": SESSION},
    ]


async def test_an_agent_within_the_grace_keeps_their_chats(desk, db, roster, tom):
    await queue(desk)
    assert (await desk.claim(SESSION, tom)).ok
    await desk.presence.set_status("tom", "offline")

    patient = HandoffDesk(
        db, Transcript(db), roster, Presence(db, PresenceTimes(heartbeat_timeout=0.2, grace=30))
    )
    assert await patient.requeue_from_gone_agents() == 0

    assert await owner_of(desk.client, SESSION) == "agent:tom"


async def test_an_agent_missing_from_the_roster_still_loses_their_chats(desk, db, roster):
    ownership = Ownership(db)
    await queue(desk)
    assert (await ownership.claim(SESSION, "sam", 3)).ok
    await gone(db, "sam")

    assert await short_desk(db, roster).requeue_from_gone_agents() == 1

    last = (await handoffs(desk))[-1]
    assert last["text"] == "You're back at the front of the queue."
    assert last["reason"] == "agent_offline"


async def test_two_sweepers_at_once_requeue_each_chat_exactly_once(
    desk, db, roster, redis_url, events, tom, maria
):
    for n in (1, 2):
        await queue(desk, f"s-tom-{n}", customer_key=f"c-{n}")
        assert (await desk.claim(f"s-tom-{n}", tom)).ok
    await queue(desk, "s-maria", customer_key="c-maria")
    assert (await desk.claim("s-maria", maria)).ok
    await queue(desk, "s-waiting", customer_key="c-waiting")
    await gone(db, "tom")
    await Presence(db, SHORT).heartbeat("maria")
    await published(events, db)
    first, second = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    try:
        moved = await asyncio.gather(
            short_desk(first, roster).requeue_from_gone_agents(),
            short_desk(second, roster).requeue_from_gone_agents(),
        )
    finally:
        await first.close()
        await second.close()

    assert sum(moved) == 2
    queued = await desk.queue.session_ids()
    assert sorted(queued[:2]) == ["s-tom-1", "s-tom-2"]
    assert queued[2:] == ["s-waiting"]
    assert await owner_of(desk.client, "s-maria") == "agent:maria"
    for session_id in ("s-tom-1", "s-tom-2"):
        requeued = [h for h in await handoffs(desk, session_id) if h["state"] == "queued"]
        assert len(requeued) == 1
        assert requeued[0]["reason"] == "agent_offline"
        assert requeued[0]["text"] == announcements.stepped_away(tom)
    sent = await published(events, db)
    assert sorted((e["type"], e["session_id"]) for e in sent) == [
        ("chat_released", "s-tom-1"),
        ("chat_released", "s-tom-2"),
        ("queue_changed", "s-tom-1"),
        ("queue_changed", "s-tom-2"),
    ]
    assert await short_desk(db, roster).requeue_from_gone_agents() == 0


# Leaving an email


async def test_leaving_an_email_while_queued_is_recorded(desk, db, events):
    await queue(desk)
    await published(events, db)

    assert await desk.leave_email(SESSION, "ana@example.com")

    assert (await desk.queue.handoff(SESSION))["email"] == "ana@example.com"
    last = (await desk.transcript.all(SESSION))[-1]
    assert last.kind == "system"
    assert last.text == announcements.email_kept("ana@example.com")
    assert last.body["sender"] == {"kind": "system"}
    assert await published(events, db) == [{"type": "queue_changed", "session_id": SESSION}]


async def test_leaving_an_email_when_not_queued_is_refused(desk, db, events, maria):
    await queue(desk)
    assert (await desk.claim(SESSION, maria)).ok
    entries_before = await desk.transcript.all(SESSION)
    await published(events, db)

    assert not await desk.leave_email(SESSION, "ana@example.com")

    assert "email" not in await desk.queue.handoff(SESSION)
    assert await desk.transcript.all(SESSION) == entries_before
    assert await published(events, db) == []
