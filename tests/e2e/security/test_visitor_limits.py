"""Issue 16, finding 1: a visitor cannot exhaust the system. Each test is an attack
against a real gateway (with tight limits, on the shared stack's Redis, Rasa and action
server) that must now fail: flooding sessions from one socket or one address, typing,
history and rating floods, escaping the message limit with new conversations, filling
the agents' queue, and spoofing X-Forwarded-For.

The other end-to-end tests all come from 127.0.0.1 with the limits out of the way
(tests/e2e/conftest.py). So this module starts a gateway of its own with tight limits
that trusts 127.0.0.1 as a proxy, and each test comes from an address of its own (in
X-Forwarded-For): the per-IP windows are shared by every gateway, and this way no test
spends another's budget.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis.asyncio as redis
import socketio
from redis.exceptions import OutOfMemoryError

from bot import redis_keys
from bot.chat_ids import anonymous_customer_key, chat_id
from bot.embedded_redis import (
    embedded_redis_url,
    free_port,
    start_embedded_redis,
    wait_for_redis,
)
from bot.gateway.sessions import UNUSED_SESSION_TTL_SECONDS
from bot.handoff import announcements
from bot.handoff.queue import HandoffQueue
from bot.stack import Stack
from tests.e2e.handoff_helpers import BILLING_COMPLAINT, handoff_events
from tests.e2e.test_gateway_alone import gateway_process
from tests.e2e.visitor import Visitor
from tests.stack_environment import environment

pytestmark = pytest.mark.stack

TIGHT = {
    "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
    "GATEWAY_CONNECT_LIMIT_PER_IP": "8/60",
    "GATEWAY_SESSION_LIMIT_PER_IP": "6/60",
    "GATEWAY_SESSION_LIMIT_PER_CONNECTION": "3/60",
    "GATEWAY_RESUME_LIMIT_PER_CONNECTION": "5/60",
    "GATEWAY_MESSAGE_LIMIT_PER_IP": "10/60",
    "GATEWAY_RATE_LIMIT": "12/20",
    "GATEWAY_TYPING_LIMIT": "10/60",
    "GATEWAY_TYPING_LIMIT_PER_IP": "1000/60",
    "GATEWAY_HISTORY_LIMIT": "4/60",
    "GATEWAY_HISTORY_LIMIT_PER_IP": "6/60",
    "GATEWAY_RATING_LIMIT": "2/60",
    "GATEWAY_RATING_LIMIT_PER_IP": "3/60",
    "GATEWAY_HANDOFF_MAX_OPEN_PER_IP": "2",
}
SESSIONS_PER_CONNECTION = 3
SESSIONS_PER_IP = 6
CONNECTS_PER_IP = 8
TYPING_PER_CONVERSATION = 10


@pytest.fixture(scope="module")
def tight_gateway(stack: Stack) -> Iterator[str]:
    """A gateway with tight limits on the shared stack (stopped after the module)."""
    port = free_port()
    with environment(TIGHT):
        stack.start_gateway(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stack.stop_part(f"gateway-{port}")


@pytest.fixture
def address() -> str:
    """This test's client address (documentation range, one per test)."""
    return f"2001:db8:{secrets.randbelow(0xFFFF):x}:{secrets.randbelow(0xFFFF):x}::7"


@pytest.fixture
async def store(stack: Stack) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(stack.redis_url)
    yield client
    await client.close()


class RawSocket:
    """A socket.io client that records everything, for floods the Visitor cannot send."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.arrived = asyncio.Event()
        for event in ("session_confirm", "history", "rating_saved", "error", "connect_error"):
            self.client.on(event, self._recorder(event))

    def _recorder(self, event: str) -> Any:
        async def record(data: Any = None) -> None:
            self.received.append((event, data))
            self.arrived.set()

        return record

    async def connect(self) -> bool:
        try:
            await self.client.connect(self.url, transports=["websocket"], headers=self.headers)
        except socketio.exceptions.ConnectionError:
            return False
        return True

    def of(self, *events: str) -> list[Any]:
        return [data for event, data in self.received if event in events]

    async def until(self, count: int, *events: str, timeout: float = 60.0) -> None:
        async def enough() -> None:
            while len(self.of(*events)) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
        if self.client.eio.http is not None:
            await self.client.eio.http.close()


@pytest.fixture
async def raw_sockets() -> AsyncIterator[list[RawSocket]]:
    made: list[RawSocket] = []
    yield made
    for socket in made:
        await socket.close()


def refusals(events: list[Any], event: str) -> list[Any]:
    return [e for e in events if e.get("error") == "rate_limited" and e.get("event") == event]


async def test_one_socket_asking_for_2000_sessions_gets_the_cap_then_a_clear_error(
    tight_gateway, address, raw_sockets, store
):
    """The probe of the issue: 2,000 session_requests on one socket got 2,000 sessions."""
    socket = RawSocket(tight_gateway, {"X-Forwarded-For": address})
    raw_sockets.append(socket)
    assert await socket.connect()

    for _ in range(2000):
        await socket.client.emit("session_request", {"session_id": None, "protocol": 1})
    await socket.until(2000, "session_confirm", "error")

    sessions = socket.of("session_confirm")
    errors = socket.of("error")
    assert len(set(sessions)) == SESSIONS_PER_CONNECTION
    assert len(refusals(errors, "session_request")) == 2000 - SESSIONS_PER_CONNECTION
    assert all(error["retry_after_ms"] > 0 for error in errors)
    for session_id in sessions:  # nothing this costs us outlives the hour
        fields = await store.hgetall(redis_keys.session_key(session_id))
        assert fields[b"client_ip"] == address.encode()
        assert 0 < await store.ttl(redis_keys.session_key(session_id)) <= UNUSED_SESSION_TTL_SECONDS
        conversations = redis_keys.customer_conversations_key(anonymous_customer_key(session_id))
        assert 0 < await store.ttl(conversations) <= UNUSED_SESSION_TTL_SECONDS


async def test_many_sockets_from_one_address_are_refused_at_connect_and_session(
    tight_gateway, address, raw_sockets
):
    sockets = [RawSocket(tight_gateway, {"X-Forwarded-For": address}) for _ in range(10)]
    raw_sockets.extend(sockets)

    connected = [await socket.connect() for socket in sockets]

    assert connected.count(True) == CONNECTS_PER_IP
    refused = [socket for socket, ok in zip(sockets, connected, strict=True) if not ok]
    for socket in refused:
        (answer,) = socket.of("connect_error")
        assert answer["message"] == "rate_limited"
        assert answer["data"]["error"] == "rate_limited" and answer["data"]["event"] == "connect"
        assert answer["data"]["retry_after_ms"] > 0
    open_ones = [socket for socket, ok in zip(sockets, connected, strict=True) if ok]
    for socket in open_ones:
        await socket.client.emit("session_request", {"session_id": None, "protocol": 1})
    for socket in open_ones:
        await socket.until(1, "session_confirm", "error")
    confirmed = sum(len(socket.of("session_confirm")) for socket in open_ones)
    refused_sessions = sum(
        len(refusals(socket.of("error"), "session_request")) for socket in open_ones
    )
    assert (confirmed, refused_sessions) == (SESSIONS_PER_IP, CONNECTS_PER_IP - SESSIONS_PER_IP)


async def test_resuming_is_bounded_per_connection(tight_gateway, address, raw_sockets):
    visitor = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    session_id = await visitor.connect()
    socket = RawSocket(tight_gateway, {"X-Forwarded-For": address})
    raw_sockets.append(socket)
    assert await socket.connect()

    for _ in range(20):
        await socket.client.emit("session_request", {"session_id": session_id, "protocol": 1})
    await socket.until(20, "session_confirm", "error")

    assert socket.of("session_confirm") == [session_id] * 5
    assert len(refusals(socket.of("error"), "session_request")) == 15
    await visitor.close()


class TypingOnTheChannel:
    """The ``visitor_typing`` states published for one conversation on the one pub/sub
    channel every gateway reads (what reaches the agents)."""

    def __init__(self, store: redis.Redis, session_id: str) -> None:
        self.store = store
        self.session_id = session_id
        self.published: list[bool] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TypingOnTheChannel:
        pubsub = self.store.pubsub()
        await pubsub.subscribe(redis_keys.CONVERSATION_EVENTS_CHANNEL)
        while await pubsub.get_message(timeout=1.0) is None:  # the confirmation
            pass
        self._task = asyncio.create_task(self._collect(pubsub))
        return self

    async def _collect(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                data = json.loads(message["data"])
                if (data.get("session_id") == self.session_id
                        and data.get("event") == "visitor_typing"):  # fmt: skip
                    self.published.append(bool(data["payload"]["typing"]))
        finally:
            await pubsub.close()

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def test_a_typing_flood_does_not_reach_the_agents_beyond_the_cap(
    tight_gateway, address, visitors, store
):
    visitor = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    visitors.append(visitor)
    await visitor.connect()
    async with TypingOnTheChannel(store, visitor.session_id) as channel:
        for number in range(300):
            await visitor.client.emit("typing", {"typing": number % 2 == 0})
        await visitor.history()  # a socket's events are handled in order: the flood is over
        await asyncio.sleep(1.5)  # a coalesced typing state has been passed on

    assert 1 <= len(channel.published) <= TYPING_PER_CONVERSATION
    errors = [data for event, data in visitor.received if event == "error"]
    assert len(refusals(errors, "typing")) == 1  # one answer per wait, not one per event


async def test_alternating_typing_is_coalesced_and_the_last_state_wins(
    tight_gateway, address, visitors, store
):
    visitor = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    visitors.append(visitor)
    await visitor.connect()
    sent = [number % 2 == 0 for number in range(TYPING_PER_CONVERSATION)]  # ends on False
    async with TypingOnTheChannel(store, visitor.session_id) as channel:
        for typing in sent:
            await visitor.client.emit("typing", {"typing": typing})
        await visitor.history()
        await asyncio.sleep(1.5)

    assert channel.published[0] is True and channel.published[-1] is False
    assert len(channel.published) < len(sent)
    assert not [data for event, data in visitor.received if event == "error"]


def answers(visitor: Visitor) -> list[tuple[str, Any]]:
    return [(e, d) for e, d in visitor.received if e in ("history", "rating_saved", "error")]


async def until_answered(visitor: Visitor, count: int, timeout: float = 30.0) -> None:
    async def answered() -> None:
        while len(answers(visitor)) < count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(answered(), timeout)


def count(received: list[tuple[str, Any]], name: str) -> int:
    return sum(1 for event, _ in received if event == name)


async def test_history_and_rating_floods_are_limited_per_conversation_and_address(
    tight_gateway, address, visitors
):
    first = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    second = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    visitors.extend([first, second])
    await first.connect()
    await second.connect()

    for _ in range(10):
        await first.client.emit("history_request", {"limit": 50})
    for _ in range(5):
        await first.client.emit("rating", {"score": 5})
    await until_answered(first, 15)

    errors = [data for event, data in first.received if event == "error"]
    assert count(first.received, "history") == 4  # GATEWAY_HISTORY_LIMIT
    assert len(refusals(errors, "history_request")) == 6
    assert count(first.received, "rating_saved") == 2  # GATEWAY_RATING_LIMIT
    assert len(refusals(errors, "rating")) == 3
    assert all(error["retry_after_ms"] > 0 for error in errors)

    # Another conversation from the same address gets only what the address has left.
    for _ in range(5):
        await second.client.emit("history_request", {"limit": 50})
        await second.client.emit("rating", {"score": 4})
    await until_answered(second, 10)

    assert count(second.received, "history") == 6 - 4  # GATEWAY_HISTORY_LIMIT_PER_IP
    assert count(second.received, "rating_saved") == 3 - 2  # GATEWAY_RATING_LIMIT_PER_IP


async def acked_or_refused(visitor: Visitor, texts: list[str]) -> dict[str, str]:
    """Send each text; what became of it: ``message_ack`` or ``slow_down``."""
    for number, text in enumerate(texts):
        await visitor.send({"message": text, "client_message_id": f"flood-{number}"})
    outcome: dict[str, str] = {}
    while len(outcome) < len(texts):
        event, data = await asyncio.wait_for(visitor.events.get(), 30)
        if event in ("message_ack", "slow_down"):
            outcome[data["client_message_id"]] = event
    return outcome


async def test_new_conversations_do_not_escape_the_message_limit(
    tight_gateway, address, visitors, transcript
):
    """Per conversation 12 in 20 s; per address 10 a minute, whatever the conversations."""
    first = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    second = Visitor(tight_gateway, headers={"X-Forwarded-For": address})
    visitors.extend([first, second])
    await first.connect()
    await second.connect()

    texts = ["hello", "are you there", "hello again", "hi", "anyone", "still here?"]
    first_outcome = await acked_or_refused(first, texts)
    second_outcome = await acked_or_refused(second, texts)

    assert list(first_outcome.values()) == ["message_ack"] * 6
    assert sorted(second_outcome.values()) == ["message_ack"] * 4 + ["slow_down"] * 2
    recorded = [e for e in await transcript.all(second.session_id) if e.kind == "visitor"]
    assert len(recorded) == 4


async def ask_for_a_person_from(url: str, address: str, visitors: list[Visitor]) -> Visitor:
    visitor = Visitor(url, headers={"X-Forwarded-For": address})
    visitors.append(visitor)
    await visitor.connect()
    await visitor.say(BILLING_COMPLAINT, timeout=60)
    await visitor.say("yes", timeout=60)
    await visitor.say("I want to talk to a person", timeout=60)
    return visitor


async def test_anonymous_conversations_from_one_address_cannot_fill_the_queue(
    tight_gateway, address, visitors, desk_reset, store, agents
):
    console = await agents("tom")
    await console.connect_socket()
    queued = [await ask_for_a_person_from(tight_gateway, address, visitors) for _ in range(2)]
    flooding = await ask_for_a_person_from(tight_gateway, address, visitors)

    assert all(handoff_events(visitor, "queued") for visitor in queued)
    assert not handoff_events(flooding, "queued")
    said = [data.get("text") for event, data in flooding.received if event == "bot_uttered"]
    assert announcements.held_back("ip", 2) in said  # told, plainly
    entries = await HandoffQueue(store).entries()
    ours = [entry for entry in entries if entry.session_id in {v.session_id for v in queued}]
    assert len(ours) == 2
    assert flooding.session_id not in {entry.session_id for entry in entries}
    assert all(entry.flood_held_back == 1 for entry in ours)  # agents see a flood
    told = await console.next_event("queue_flood")
    assert told == {"source": "ip", "open_requests": 2, "held_back": 1}
    shown = await console.next_event("queue")  # the console's queue, refreshed
    assert {e["chat_id"]: e["flood_held_back"] for e in shown["entries"]} == {
        chat_id(visitor.session_id): 1 for visitor in queued
    }


@pytest.fixture(scope="module")
def trusting_no_proxy(stack: Stack) -> Iterator[str]:
    """A gateway on the shared stack that trusts no proxy (the product's default; the
    shared test gateways trust 127.0.0.1 so tests can name client addresses)."""
    port = free_port()
    with environment({"GATEWAY_TRUSTED_PROXIES": ""}):
        stack.start_gateway(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stack.stop_part(f"gateway-{port}")


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    trusting_no_proxy, address, visitors, store
):
    """Without trusted proxies the header is the visitor's own words."""
    visitor = Visitor(trusting_no_proxy, headers={"X-Forwarded-For": address})
    visitors.append(visitor)
    await visitor.connect()

    recorded = await store.hget(redis_keys.session_key(visitor.session_id), "client_ip")
    assert recorded == b"127.0.0.1"


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(
    tight_gateway, address, visitors, store
):
    """Only the right-most address not a trusted proxy counts: what the client wrote
    itself, further left, does not."""
    visitor = Visitor(tight_gateway, headers={"X-Forwarded-For": f"10.9.8.7, {address}"})
    visitors.append(visitor)
    await visitor.connect()

    recorded = await store.hget(redis_keys.session_key(visitor.session_id), "client_ip")
    assert recorded == address.encode()


async def fill(client: redis.Redis) -> int:
    """Write ``ballast-<n>`` keys until Redis refuses a one-byte value; how many."""
    written, size = 0, 1024 * 1024
    while size >= 1:
        try:
            await client.set(f"ballast-{written}", b"x" * size)
            written += 1
            assert written < 10_000, "Redis never filled up: no memory cap?"
        except OutOfMemoryError:
            size //= 4
    return written


async def test_a_full_redis_refuses_writes_and_the_visitor_is_told_unavailable(
    tmp_path, raw_sockets
):
    """The embedded Redis has a memory cap and never drops data to stay under it
    (noeviction); over it, the gateway answers ``unavailable`` instead of failing."""
    port = free_port()
    password = secrets.token_hex(16)
    with environment({"EMBEDDED_REDIS_MAXMEMORY": "8mb"}):
        process = start_embedded_redis(port, tmp_path, tmp_path / "redis.log", password)
    url = embedded_redis_url(port, password)
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        assert wait_for_redis(url, process, timeout=15)
        memory = await client.info("memory")  # CONFIG is disabled on the embedded Redis
        assert int(memory["maxmemory"]) == 8 * 1024 * 1024
        assert memory["maxmemory_policy"] == "noeviction"
        with gateway_process(url, f"http://127.0.0.1:{free_port()}") as gateway:
            # Full: writes of shrinking size until even a one-byte one is refused (a
            # refused big write leaves room for smaller ones: its own buffer counted).
            ballast = await fill(client)
            with pytest.raises(OutOfMemoryError):
                await client.set("one-more", "x")
            socket = RawSocket(gateway, {})
            raw_sockets.append(socket)
            assert await socket.connect()

            await socket.client.emit("session_request", {"session_id": None, "protocol": 1})
            await socket.until(1, "session_confirm", "error")

            assert socket.of("error")[0]["error"] == "unavailable"
            assert not socket.of("session_confirm")
            assert await client.exists("ballast-0") == 1  # nothing was evicted to make room
            assert not [key async for key in client.scan_iter("session:*")]  # nor half-written

            # Room again (the operator freed some): the same socket carries on.
            await client.delete(*(f"ballast-{number}" for number in range(ballast)))
            await socket.client.emit("session_request", {"session_id": None, "protocol": 1})
            await socket.until(1, "session_confirm")
            await socket.close()
    finally:
        await client.close()
        process.terminate()
        process.wait(timeout=10)
