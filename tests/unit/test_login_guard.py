"""bot/agents/login_guard.py: waits after failed logins, per source and per id, on a real
Redis (the HTTP side is in tests/unit/test_agent_api.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot import redis_keys
from bot.agents.login_guard import LoginGuard, LoginLimits, LoginLimitsError, keyed_agent_id

LIMITS = LoginLimits(source_failures=3, id_failures=5, window_seconds=600, max_delay_seconds=60)


@pytest.fixture(params=["redis_client", "client"])
def redis_conn(request):
    """The guard must work on a client answering text and on one answering bytes."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def agent_id() -> str:
    """A fresh id per test (the bytes client's database is not flushed)."""
    return f"agent-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def source() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"


async def waits(guard: LoginGuard, agent_id: str, source: str, times: int) -> list[int]:
    """Each attempt's wait (0: it went on, and is counted as a failure)."""
    return [(await guard.attempt(agent_id, source)).retry_after for _ in range(times)]


async def test_a_source_waits_after_its_limit_and_the_wait_doubles(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    assert await waits(guard, agent_id, source, 3) == [0, 0, 0]
    [first] = await waits(guard, agent_id, source, 1)
    assert first == 4
    await redis_conn.delete(redis_keys.login_block_key(f"source:{source}"))
    assert await waits(guard, agent_id, source, 1) == [0]
    [second] = await waits(guard, agent_id, source, 1)
    assert second == 8


async def test_the_wait_never_exceeds_the_maximum(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await redis_conn.set(redis_keys.login_failures_key(f"source:{source}"), 40)
    assert await waits(guard, agent_id, source, 1) == [0]
    [wait] = await waits(guard, agent_id, source, 1)
    assert wait == LIMITS.max_delay_seconds


async def test_a_block_without_expiry_counts_as_the_longest_wait(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await redis_conn.set(redis_keys.login_block_key(f"source:{source}"), "1")
    assert await waits(guard, agent_id, source, 1) == [LIMITS.max_delay_seconds]


async def test_waiting_attempts_are_not_counted(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await waits(guard, agent_id, source, 10)
    failures = redis_keys.login_failures_key(f"source:{source}")
    assert int(await redis_conn.get(failures)) == 3


async def test_concurrent_attempts_pass_exactly_up_to_the_limit(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    results = await asyncio.gather(*(guard.attempt(agent_id, source) for _ in range(30)))
    assert sum(result.allowed for result in results) == LIMITS.source_failures


async def test_one_source_alone_never_slows_the_id_down(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await waits(guard, agent_id, source, 50)
    assert (await guard.attempt(agent_id, "203.0.113.1")).allowed


async def test_many_sources_slow_the_id_down_but_not_a_known_device(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, LIMITS)
    for index in range(LIMITS.id_failures):
        assert (await guard.attempt(agent_id, f"203.0.113.{index}")).allowed
    assert not (await guard.attempt(agent_id, "192.0.2.1")).allowed
    assert (await guard.attempt(agent_id, "192.0.2.1", known_device="device-1")).allowed


async def test_a_known_device_is_counted_on_its_own(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await waits(guard, agent_id, source, 4)  # the network waits now
    device = f"device-{uuid.uuid4().hex[:8]}"
    results = [await guard.attempt(agent_id, source, known_device=device) for _ in range(4)]
    assert [result.allowed for result in results] == [True, True, True, False]


async def test_a_success_gives_its_attempt_back(redis_conn, agent_id, source):
    guard = LoginGuard(redis_conn, LIMITS)
    await waits(guard, agent_id, source, 2)
    right = await guard.attempt(agent_id, source)  # the third: it starts a wait...
    assert right.allowed
    await guard.succeeded(right)  # ...which the right password lifts
    assert await waits(guard, agent_id, source, 2) == [0, 4]


async def test_spellings_of_one_id_share_a_counter(redis_conn, agent_id):
    guard = LoginGuard(redis_conn, LIMITS)
    for index, spelling in enumerate([agent_id, agent_id.upper(), f"  {agent_id} "]):
        await guard.attempt(spelling, f"203.0.113.{index}")
    failures = redis_keys.login_failures_key(f"id:{agent_id}")
    assert int(await redis_conn.get(failures)) == 3


@pytest.mark.parametrize("junk", ["x" * 5000, "Ünïcode id", "a/b:c"])
async def test_junk_ids_make_small_keys(redis_conn, junk):
    guard = LoginGuard(redis_conn, LIMITS)
    await guard.attempt(junk, "203.0.113.1")
    keyed = keyed_agent_id(junk)
    assert len(keyed) == 64
    assert await redis_conn.exists(redis_keys.login_failures_key(f"id:{keyed}")) == 1


def test_valid_ids_are_keyed_as_themselves_and_junk_cannot_collide():
    assert keyed_agent_id("maria") == "maria"
    assert keyed_agent_id(" Maria ") == "maria"
    assert keyed_agent_id("x" * 100) != keyed_agent_id("x" * 101)


def test_limits_come_from_the_environment_and_nonsense_is_refused():
    limits = LoginLimits.from_environment(
        {"AGENT_LOGIN_SOURCE_FAILURES": "7", "AGENT_LOGIN_MAX_DELAY_SECONDS": "120"}
    )
    assert (limits.source_failures, limits.id_failures, limits.max_delay_seconds) == (7, 20, 120)
    for name, value in [("AGENT_LOGIN_ID_FAILURES", "0"), ("AGENT_LOGIN_WINDOW_SECONDS", "x")]:
        with pytest.raises(LoginLimitsError, match=name):
            LoginLimits.from_environment({name: value})
    with pytest.raises(ValueError):
        LoginLimits(source_failures=0)
