"""bot/agents/presence.py and bot/handoff/queue.py on the real test Redis."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.agents.presence import Presence, PresenceTimes
from bot.handoff.queue import (
    DEFAULT_WAIT_PER_CHAT_SECONDS,
    RECENT_WAITS_KEPT,
    HandoffQueue,
    estimate_wait_seconds,
)
from bot.inbox import InboxMessage, queued_for_bot
from bot.ownership import Ownership
from bot.transcript import QueuedWork

SHORT = PresenceTimes(heartbeat_timeout=0.2, grace=0.2)
"""Times short enough to wait out in a test."""
PAST_TIMEOUT = 0.35
"""A sleep longer than SHORT's timeout (and than its grace)."""
LONG = PresenceTimes(heartbeat_timeout=30, grace=30)
"""Times no test outlasts: what holds "right now", whatever the machine's speed."""


def resume_work(session_id: str) -> QueuedWork:
    return queued_for_bot(session_id, InboxMessage("m", "continue", mode="resume"))


@pytest.fixture
async def db(client) -> redis.Redis:
    """The bytes client, on an emptied database."""
    await client.flushdb()
    return client


@pytest.fixture
def queue(db) -> HandoffQueue:
    return HandoffQueue(db)


@pytest.fixture
def ownership(db) -> Ownership:
    return Ownership(db)


# Presence


async def test_an_agent_never_seen_is_offline(db):
    presence = Presence(db, LONG)

    assert await presence.status("maria") == "offline"
    assert await presence.statuses() == {}


async def test_a_heartbeat_makes_an_agent_online(db):
    presence = Presence(db, LONG)

    await presence.heartbeat("maria")

    assert await presence.status("maria") == "online"
    assert await presence.statuses() == {"maria": "online"}


async def test_set_status_away_makes_an_agent_away_and_heartbeats_keep_them_away(db):
    presence = Presence(db, LONG)
    await presence.heartbeat("maria")

    await presence.set_status("maria", "away")
    await presence.heartbeat("maria")

    assert await presence.status("maria") == "away"


async def test_set_status_online_brings_an_away_agent_back(db):
    presence = Presence(db, LONG)
    await presence.set_status("maria", "away")

    await presence.set_status("maria", "online")

    assert await presence.status("maria") == "online"


async def test_statuses_report_every_agent_seen(db):
    presence = Presence(db, LONG)
    await presence.heartbeat("maria")
    await presence.set_status("tom", "away")
    await presence.heartbeat("priya")
    await presence.set_status("priya", "offline")

    assert await presence.statuses() == {"maria": "online", "tom": "away", "priya": "offline"}


async def test_an_agent_without_a_heartbeat_for_the_timeout_is_offline(db):
    await Presence(db, SHORT).heartbeat("maria")
    await Presence(db, SHORT).set_status("tom", "away")

    await asyncio.sleep(PAST_TIMEOUT)

    assert await Presence(db, SHORT).statuses() == {"maria": "offline", "tom": "offline"}
    # The chosen status is kept: their next sign of life brings them back as they were.
    assert await Presence(db, LONG).statuses() == {"maria": "online", "tom": "away"}


async def test_a_heartbeat_after_the_timeout_brings_the_agent_back(db):
    presence = Presence(db, SHORT)
    await presence.heartbeat("maria")
    await asyncio.sleep(PAST_TIMEOUT)
    assert await presence.status("maria") == "offline"

    await presence.heartbeat("maria")

    assert await Presence(db, LONG).status("maria") == "online"
    assert "maria" not in await presence.gone_beyond_grace()


async def test_set_status_is_a_sign_of_life(db):
    presence = Presence(db, SHORT)
    await presence.heartbeat("maria")
    await asyncio.sleep(PAST_TIMEOUT)

    await presence.set_status("maria", "away")

    assert await presence.status("maria") == "away"


async def test_an_agent_is_gone_only_after_the_timeout_and_the_grace(db):
    await Presence(db, SHORT).heartbeat("maria")
    await asyncio.sleep(PAST_TIMEOUT)

    # Offline, but still within a long grace…
    long_grace = Presence(db, PresenceTimes(heartbeat_timeout=0.2, grace=30))
    assert await long_grace.status("maria") == "offline"
    assert await long_grace.gone_beyond_grace() == []

    await asyncio.sleep(PAST_TIMEOUT)

    # …and gone once the grace too has passed.
    assert await Presence(db, SHORT).gone_beyond_grace() == ["maria"]


async def test_an_online_agent_is_not_gone(db):
    await Presence(db, LONG).heartbeat("maria")

    assert await Presence(db, LONG).gone_beyond_grace() == []


async def test_set_status_offline_is_offline_at_once(db):
    presence = Presence(db, LONG)
    await presence.heartbeat("maria")

    await presence.set_status("maria", "offline")

    assert await presence.status("maria") == "offline"
    assert await presence.gone_beyond_grace() == []


async def test_set_status_offline_starts_the_grace_now_without_waiting_for_the_timeout(db):
    # A timeout far longer than the test: only the grace can have passed.
    times = PresenceTimes(heartbeat_timeout=30, grace=0.2)
    await Presence(db, times).heartbeat("maria")

    await Presence(db, times).set_status("maria", "offline")
    assert await Presence(db, LONG).gone_beyond_grace() == []
    await asyncio.sleep(PAST_TIMEOUT)

    assert await Presence(db, times).gone_beyond_grace() == ["maria"]


async def test_a_logged_out_agent_who_comes_back_is_online_again(db):
    presence = Presence(db, LONG)
    await presence.set_status("maria", "away")
    await presence.set_status("maria", "offline")

    await presence.heartbeat("maria")

    assert await presence.status("maria") == "online"


async def test_loads_and_chats_count_the_conversations_each_agent_owns(db, ownership):
    for session_id, agent_id in (("s-2", "maria"), ("s-1", "maria"), ("s-3", "tom")):
        assert (await ownership.queue(session_id, {})).ok
        assert (await ownership.claim(session_id, agent_id, 3)).ok
    assert (await ownership.hand_back("s-3", "tom", resume_work("s-3"))).ok
    presence = Presence(db, LONG)

    assert await presence.loads(["maria", "tom", "priya"]) == {"maria": 2, "tom": 0, "priya": 0}
    assert await presence.chats_of("maria") == ["s-1", "s-2"]
    assert await presence.chats_of("tom") == []


async def test_loads_of_nobody_is_empty(db):
    assert await Presence(db, LONG).loads([]) == {}


# The queue


def handoff(**fields: str) -> dict[str, str]:
    return {
        "queued_at": "2026-11-23T15:02:11.204Z",
        "queued_ts": str(time.time()),
        "summary": "parcel two weeks late",
        "category": "late_delivery",
        "customer_key": "c-1",
        "trigger": "customer_request",
        "routed_to": "tom",
        **fields,
    }


async def test_an_empty_queue_has_no_entries(queue):
    assert await queue.entries() == []
    assert await queue.session_ids() == []
    assert await queue.routed_counts() == {}


async def test_entries_come_front_first_with_positions(queue, ownership):
    for session_id in ("q-1", "q-2", "q-3"):
        assert (await ownership.queue(session_id, handoff())).ok
    assert (await ownership.queue("q-0", handoff())).ok
    assert (await ownership.claim("q-0", "maria", 3)).ok
    assert (await ownership.requeue("q-0", "maria")).ok

    entries = await queue.entries()

    assert [(e.session_id, e.position) for e in entries] == [
        ("q-0", 1),
        ("q-1", 2),
        ("q-2", 3),
        ("q-3", 4),
    ]
    assert entries[0].requeued_from == "maria"
    assert entries[1].requeued_from is None
    assert await queue.session_ids() == ["q-0", "q-1", "q-2", "q-3"]


async def test_an_entry_carries_the_stored_fields(queue, ownership):
    fields = handoff(queued_ts=str(time.time() - 90), category="refund", routed_to="maria")
    assert (await ownership.queue("q-1", fields)).ok

    [entry] = await queue.entries()

    assert entry.session_id == "q-1"
    assert entry.position == 1
    assert entry.queued_at == "2026-11-23T15:02:11.204Z"
    assert 90 <= entry.waiting_seconds < 3600
    assert entry.summary == "parcel two weeks late"
    assert entry.category == "refund"
    assert entry.customer_key == "c-1"
    assert entry.trigger == "customer_request"
    assert entry.routed_to == "maria"
    assert entry.email is None
    assert entry.requeued_from is None
    assert entry.to_json()["routed_to"] == "maria"


async def test_an_entry_with_missing_fields_reads_as_empty(queue, ownership):
    assert (await ownership.queue("q-1", {})).ok

    [entry] = await queue.entries()

    assert entry.summary == ""
    assert entry.category is None
    assert entry.routed_to is None
    assert entry.email is None
    assert entry.waiting_seconds == 0


async def test_session_ids_are_the_waiting_conversations_front_first(queue, ownership):
    for session_id in ("q-1", "q-2"):
        assert (await ownership.queue(session_id, handoff())).ok
    assert (await ownership.queue("q-claimed", handoff())).ok
    assert (await ownership.claim("q-claimed", "tom", 3)).ok

    assert await queue.session_ids() == ["q-1", "q-2"]


async def test_routed_counts_count_only_waiting_conversations_routed_to_someone(queue, ownership):
    for session_id, routed_to in (
        ("q-1", "maria"),
        ("q-2", "tom"),
        ("q-3", "maria"),
        ("q-4", ""),
        ("q-5", "tom"),
    ):
        assert (await ownership.queue(session_id, handoff(routed_to=routed_to))).ok
    assert (await ownership.claim("q-5", "tom", 3)).ok

    assert await queue.routed_counts() == {"maria": 2, "tom": 1}


async def test_handoff_and_packet_read_the_stored_handoff(queue, ownership):
    packet = {"summary": "parcel late", "order_id": "48213"}
    assert (await ownership.queue("q-1", handoff(packet=json.dumps(packet)))).ok

    assert await queue.packet("q-1") == packet
    assert (await queue.handoff("q-1"))["summary"] == "parcel two weeks late"
    assert await queue.packet("never-queued") is None
    assert await queue.handoff("never-queued") == {}


# Wait estimates


async def test_no_estimate_while_nobody_is_online(queue):
    await queue.record_wait(30)

    assert estimate_wait_seconds(1, 0, await queue.typical_wait_per_chat()) is None


async def test_without_recorded_waits_the_default_per_chat_is_used(queue):
    assert await queue.typical_wait_per_chat() == DEFAULT_WAIT_PER_CHAT_SECONDS
    per_chat = await queue.typical_wait_per_chat()
    assert estimate_wait_seconds(3, 2, per_chat) == 2 * DEFAULT_WAIT_PER_CHAT_SECONDS


async def test_the_estimate_uses_the_median_of_recorded_waits(queue):
    for seconds in (10, 600, 30):
        await queue.record_wait(seconds)

    per_chat = await queue.typical_wait_per_chat()
    assert per_chat == 30
    assert estimate_wait_seconds(1, 1, per_chat) == 30
    assert estimate_wait_seconds(2, 2, per_chat) == 30
    assert estimate_wait_seconds(3, 2, per_chat) == 60
    assert estimate_wait_seconds(5, 1, per_chat) == 150


async def test_the_median_of_an_even_count_is_the_middle_mean(queue):
    for seconds in (10, 20):
        await queue.record_wait(seconds)

    assert await queue.typical_wait_per_chat() == 15


async def test_only_the_most_recent_waits_are_kept(queue, db):
    for seconds in range(1, 61):
        await queue.record_wait(seconds)

    kept = [float(w) for w in await db.lrange(redis_keys.HANDOFF_WAITS, 0, -1)]
    assert len(kept) == RECENT_WAITS_KEPT
    assert kept[0] == 60
    assert kept[-1] == 60 - RECENT_WAITS_KEPT + 1
    assert await queue.typical_wait_per_chat() == 35.5


# Leaving an email


async def test_an_email_is_kept_with_a_queued_request(queue, ownership):
    assert (await ownership.queue("q-1", handoff())).ok

    assert await queue.leave_email("q-1", "ana@example.com")

    [entry] = await queue.entries()
    assert entry.email == "ana@example.com"
    assert entry.summary == "parcel two weeks late"


@pytest.mark.parametrize("state", ["bot", "agent", "closed"])
async def test_an_email_is_refused_unless_queued(queue, ownership, db, state):
    if state != "bot":
        assert (await ownership.queue("q-1", handoff())).ok
        assert (await ownership.claim("q-1", "tom", 3)).ok
    if state == "closed":
        assert (await ownership.close("q-1")).ok
    before = await db.hgetall(redis_keys.handoff_key("q-1"))

    assert not await queue.leave_email("q-1", "ana@example.com")

    assert await db.hgetall(redis_keys.handoff_key("q-1")) == before
