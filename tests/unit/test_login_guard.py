"""bot/agents/login_guard.py: lockouts after failed logins, on a real Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot import redis_keys
from bot.agents.login_guard import LoginGuard, keyed_agent_id


@pytest.fixture(params=["redis_client", "client"])
def redis_conn(request):
    """The guard must work on a client answering text and on one answering bytes."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def agent_id() -> str:
    """A fresh id per test (the bytes client's database is not flushed)."""
    return f"agent-{uuid.uuid4().hex[:12]}"


async def fail(guard: LoginGuard, agent_id: str, times: int) -> list[int]:
    return [await guard.record_failure(agent_id) for _ in range(times)]


async def test_the_fifth_failure_locks_the_id_out(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=5, window_seconds=900, lockout_seconds=300)

    assert await fail(guard, agent_id, 4) == [0, 0, 0, 0]
    assert await guard.locked_for(agent_id) == 0
    assert await guard.record_failure(agent_id) == 300

    assert 290 <= await guard.locked_for(agent_id) <= 300
    assert await redis_conn.exists(redis_keys.login_failures_key(agent_id)) == 0  # reset
    assert 0 < await redis_conn.ttl(redis_keys.login_lock_key(agent_id)) <= 300


async def test_failures_while_locked_neither_count_nor_extend_the_lock(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=3, lockout_seconds=300)
    await fail(guard, agent_id, 3)
    await redis_conn.pexpire(redis_keys.login_lock_key(agent_id), 40_000)

    assert await guard.record_failure(agent_id) == 40
    assert await guard.locked_for(agent_id) == 40
    assert await redis_conn.exists(redis_keys.login_failures_key(agent_id)) == 0


async def test_locked_for_counts_down_rounding_up(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=2, lockout_seconds=5)
    await fail(guard, agent_id, 2)
    lock = redis_keys.login_lock_key(agent_id)
    assert 0 < await redis_conn.pttl(lock) <= 5000

    await redis_conn.pexpire(lock, 1500)
    assert await guard.locked_for(agent_id) == 2
    await redis_conn.pexpire(lock, 200)
    assert await guard.locked_for(agent_id) == 1  # never 0 while the lock is there
    await redis_conn.pexpire(lock, 30)
    await asyncio.sleep(0.1)

    assert await guard.locked_for(agent_id) == 0
    assert await guard.record_failure(agent_id) == 0  # counting starts over
    assert await guard.record_failure(agent_id) == 5


async def test_a_lock_without_expiry_counts_as_a_full_lockout(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, lockout_seconds=120)
    await redis_conn.set(redis_keys.login_lock_key(agent_id), "1")

    assert await guard.locked_for(agent_id) == 120
    assert await guard.record_failure(agent_id) == 120


async def test_success_clears_the_failures(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=5)
    await fail(guard, agent_id, 4)

    await guard.record_success(agent_id)

    assert await redis_conn.exists(redis_keys.login_failures_key(agent_id)) == 0
    assert await fail(guard, agent_id, 4) == [0, 0, 0, 0]
    assert await guard.record_failure(agent_id) > 0


async def test_the_window_starts_at_the_first_failure(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=5, window_seconds=600)
    failures = redis_keys.login_failures_key(agent_id)
    await guard.record_failure(agent_id)
    assert 590 <= await redis_conn.ttl(failures) <= 600

    await redis_conn.expire(failures, 50)
    await guard.record_failure(agent_id)

    assert 0 < await redis_conn.ttl(failures) <= 50  # later failures do not extend it
    assert int(await redis_conn.get(failures)) == 2


async def test_concurrent_failures_lock_exactly_once(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=5, lockout_seconds=300)
    # Counted as a difference: the embedded Redis has no CONFIG (so no RESETSTAT).
    before = await redis_conn.info("commandstats")

    results = await asyncio.gather(*(guard.record_failure(agent_id) for _ in range(20)))

    after = await redis_conn.info("commandstats")

    def calls(command: str) -> int:
        def count(stats: dict) -> int:
            return stats.get(f"cmdstat_{command}", {}).get("calls", 0)

        return count(after) - count(before)

    assert calls("incr") + calls("incrby") == 5  # none counted once the lock was set
    assert calls("set") == 1  # the lock was set exactly once
    assert results.count(0) == 4
    assert all(0 < seconds <= 300 for seconds in results if seconds)
    assert await redis_conn.exists(redis_keys.login_failures_key(agent_id)) == 0
    assert await guard.locked_for(agent_id) > 0


async def test_ids_are_tracked_separately_and_unknown_ones_the_same_way(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=2)
    stranger = f"nobody-{uuid.uuid4().hex[:8]}"

    await fail(guard, agent_id, 2)

    assert await guard.locked_for(agent_id) > 0
    assert await guard.locked_for(stranger) == 0
    assert await fail(guard, stranger, 2) == [0, 300]


async def test_spellings_of_one_id_share_a_counter(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, max_failures=2)

    await guard.record_failure(agent_id)
    await guard.record_failure(f"  {agent_id.upper()} ")

    assert await guard.locked_for(agent_id) > 0


@pytest.mark.parametrize(
    "junk",
    ["x" * 100_000, "ünïcødé-agent", "a" * 41, "maria:lock", "\ud800 surrogate", "", "日本語"],
    ids=["huge", "accents", "41-chars", "colon", "surrogate", "empty", "cjk"],
)
async def test_junk_ids_make_small_keys_and_still_lock(redis_conn, junk):
    guard = LoginGuard(redis_conn, max_failures=2)
    keyed = keyed_agent_id(junk)
    # The bytes client's database is not flushed between tests.
    await redis_conn.delete(redis_keys.login_lock_key(keyed), redis_keys.login_failures_key(keyed))

    assert await fail(guard, junk, 2) == [0, 300]

    assert len(keyed) == 64
    assert set(keyed) <= set("0123456789abcdef")
    assert await guard.locked_for(junk) > 0
    assert await redis_conn.exists(redis_keys.login_lock_key(keyed)) == 1


def test_valid_ids_are_keyed_as_themselves_and_junk_cannot_collide():
    assert keyed_agent_id("maria") == "maria"
    assert keyed_agent_id(" Maria") == "maria"
    assert keyed_agent_id("x" * 1000) != keyed_agent_id("x" * 1001)
    assert keyed_agent_id("maria:x") != keyed_agent_id("maria")


def test_nonsense_limits_are_refused(redis_url):
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url)
    for limits in ({"max_failures": 0}, {"window_seconds": 0}, {"lockout_seconds": -1}):
        with pytest.raises(ValueError):
            LoginGuard(client, **limits)
