"""bot/retention.py and bot/retention_sweeper.py on the real test Redis: the settings,
Rasa's tracker expiry from endpoints.yml, and the sweeper forgetting exactly what is past
its retention."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot import redis_keys
from bot.embedded_redis import redis_environment
from bot.gateway.sessions import SessionSigner, SessionStore, VerifiedUser
from bot.retention import (
    DAY_SECONDS,
    RetentionPolicy,
    RetentionSettingsError,
    rasa_retention_environment,
)
from bot.retention_sweeper import RetentionSweeper
from bot.transcript import Transcript
from tests.conftest import ROOT
from tests.stack_environment import environment

SECRET = "a-test-session-secret-of-enough-length"
NOW = 1_800_000_000.0


@pytest.fixture
async def raw_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


def test_the_defaults_keep_conversations_90_days_and_ratings_a_year():
    policy = RetentionPolicy.from_environment({})

    assert policy.transcript_days == policy.tracker_days == 90
    assert policy.handoff_days == policy.notes_days == 90
    assert policy.rating_days == policy.resolution_days == 365
    assert policy.seconds("transcript") == 90 * DAY_SECONDS


def test_each_kind_is_set_by_its_own_variable():
    policy = RetentionPolicy.from_environment(
        {"RETENTION_TRANSCRIPT_DAYS": "30", "RETENTION_RATING_DAYS": " 730 "}
    )

    assert (policy.transcript_days, policy.rating_days, policy.notes_days) == (30, 730, 90)


@pytest.mark.parametrize("value", ["0", "-5", "ninety", "1.5", "3651"])
def test_a_bad_value_is_refused_naming_the_variable(value):
    with pytest.raises(RetentionSettingsError, match="RETENTION_NOTES_DAYS"):
        RetentionPolicy.from_environment({"RETENTION_NOTES_DAYS": value})


async def test_rasa_expires_its_tracker_after_the_tracker_retention(redis_url, raw_client):
    policy = RetentionPolicy.from_environment({"RETENTION_TRACKER_DAYS": "7"})
    settings = {
        **redis_environment(redis_url),
        **rasa_retention_environment(policy),
        "ACTION_SERVER_TOKEN": "unit-test-action-token",  # endpoints.yml names it too
    }
    with environment(settings):
        endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    store = TrackerStore.create(endpoint, Domain.empty())

    await store.save(DialogueStateTracker("s-retained", slots=[]))

    ttl = await raw_client.ttl(redis_keys.rasa_tracker_key("s-retained"))
    assert 7 * DAY_SECONDS - 60 < ttl <= 7 * DAY_SECONDS


async def a_conversation(client: redis.Redis, user: str, started: float) -> tuple[str, str]:
    """A conversation started at ``started`` with every per-conversation record."""
    session = await SessionStore(client, SessionSigner(SECRET)).create(VerifiedUser(user))
    sid, key = session.session_id, session.customer_key
    await client.zadd(redis_keys.customer_conversations_key(key), {sid: started})
    await Transcript(client).append(sid, "visitor", text="hello")
    await client.set(redis_keys.rasa_tracker_key(sid), "{}")
    await client.hset(redis_keys.handoff_key(sid), "customer_key", key)
    await client.xadd(redis_keys.notes_key(sid), {"text": "note"})
    await client.hset(redis_keys.rating_key(sid), "score", 5)
    await client.set(redis_keys.owner_key(sid), "agent:maria")
    await client.hset(redis_keys.agent_read_key("maria"), sid, 1)
    await client.set(redis_keys.customer_last_agent_key(key), "maria")
    return sid, key


async def existing(client: redis.Redis, sid: str) -> set[str]:
    """Which kinds of the conversation's records still exist."""
    kinds = {
        "transcript": redis_keys.transcript_key(sid),
        "tracker": redis_keys.rasa_tracker_key(sid),
        "handoff": redis_keys.handoff_key(sid),
        "notes": redis_keys.notes_key(sid),
        "rating": redis_keys.rating_key(sid),
        "session": redis_keys.session_key(sid),
        "owner": redis_keys.owner_key(sid),
    }
    return {kind for kind, key in kinds.items() if await client.exists(key)}


async def test_the_sweeper_forgets_each_kind_after_its_own_retention(raw_client):
    sweeper = RetentionSweeper(raw_client, RetentionPolicy.from_environment({}))
    fresh, _ = await a_conversation(raw_client, "u-fresh", NOW - 10 * DAY_SECONDS)
    middle, middle_key = await a_conversation(raw_client, "u-middle", NOW - 100 * DAY_SECONDS)
    ancient, ancient_key = await a_conversation(raw_client, "u-ancient", NOW - 400 * DAY_SECONDS)

    await sweeper.sweep_once(now=NOW)

    everything = {"transcript", "tracker", "handoff", "notes", "rating", "session", "owner"}
    assert await existing(raw_client, fresh) == everything
    assert await existing(raw_client, middle) == {"rating", "session", "owner"}
    assert await existing(raw_client, ancient) == set()
    assert not await raw_client.exists(redis_keys.customer_conversations_key(ancient_key))
    assert not await raw_client.exists(redis_keys.customer_last_agent_key(ancient_key))
    assert await raw_client.exists(redis_keys.customer_last_agent_key(middle_key))
    read = await raw_client.hgetall(redis_keys.agent_read_key("maria"))
    assert set(read) == {fresh.encode(), middle.encode()}


async def test_a_second_sweep_changes_nothing(raw_client):
    sweeper = RetentionSweeper(raw_client, RetentionPolicy.from_environment({}))
    await a_conversation(raw_client, "u-1", NOW - 100 * DAY_SECONDS)
    await a_conversation(raw_client, "u-2", NOW - 400 * DAY_SECONDS)
    await sweeper.sweep_once(now=NOW)
    keys = sorted([key async for key in raw_client.scan_iter()])

    report = await sweeper.sweep_once(now=NOW)

    assert sorted([key async for key in raw_client.scan_iter()]) == keys
    assert report.deleted["index_members"] == 0


async def test_shorter_settings_forget_sooner(raw_client):
    policy = RetentionPolicy.from_environment(
        {"RETENTION_TRANSCRIPT_DAYS": "7", "RETENTION_NOTES_DAYS": "30"}
    )
    sid, _ = await a_conversation(raw_client, "u-1", NOW - 10 * DAY_SECONDS)

    await RetentionSweeper(raw_client, policy).sweep_once(now=NOW)

    assert await existing(raw_client, sid) == {
        "tracker", "handoff", "notes", "rating", "session", "owner"
    }  # fmt: skip


async def test_old_resolutions_and_stream_entries_are_dropped(raw_client):
    key = "user:u-1"
    index = redis_keys.customer_resolutions_key(key)
    await raw_client.hset(redis_keys.resolution_key("NW-OLD"), "fix", "refund")
    await raw_client.hset(redis_keys.resolution_key("NW-NEW"), "fix", "refund")
    await raw_client.zadd(index, {"NW-OLD": NOW - 400 * DAY_SECONDS, "NW-NEW": NOW - DAY_SECONDS})
    for stream in (redis_keys.HANDOFF_REQUESTS_STREAM, redis_keys.CANCELLATION_REQUESTS_STREAM):
        for age_days in (400, 100, 1):
            at_ms = int((NOW - age_days * DAY_SECONDS) * 1000)
            await raw_client.xadd(stream, {"request": "{}"}, id=f"{at_ms}-0")

    await RetentionSweeper(raw_client, RetentionPolicy.from_environment({})).sweep_once(now=NOW)

    assert not await raw_client.exists(redis_keys.resolution_key("NW-OLD"))
    assert await raw_client.exists(redis_keys.resolution_key("NW-NEW"))
    assert await raw_client.zrange(index, 0, -1) == [b"NW-NEW"]
    assert await raw_client.xlen(redis_keys.HANDOFF_REQUESTS_STREAM) == 1  # 90 days
    assert await raw_client.xlen(redis_keys.CANCELLATION_REQUESTS_STREAM) == 2  # 365 days


async def test_a_conversation_started_now_is_kept(raw_client):
    sid, _ = await a_conversation(raw_client, "u-now", time.time())

    await RetentionSweeper(raw_client, RetentionPolicy.from_environment({})).sweep_once()

    assert "transcript" in await existing(raw_client, sid)
