"""Fuzzing every visitor socket event, and the agents' namespace events that take a
payload, against the real gateway (issue 16, "Tests: fuzzing").

Hypothesis sends each event hundreds of payloads: any JSON type, the documented
fields with wrong or extreme values, sizes around every limit, lone surrogates,
deep nesting, binary attachments, no payload, several payloads. Properties:

- no exception escapes: the stack's logs gain no traceback or "Exception" line;
- every reply is a documented event (docs/protocol.md's server → client events)
  and matches its JSON schema there;
- the connection stays usable (the gateway answers the next request) or is closed
  cleanly; afterwards a valid message is acknowledged;
- nothing is recorded twice: transcript seqs 1..n with no gaps or repeats, one
  visitor entry per acknowledged message, and a resent ``client_message_id`` is
  acknowledged with its first seq and not recorded again.

The run is derandomized (the same examples every time, reproducible in CI) and
bounded: FUZZ_SOCKET_EXAMPLES examples per event (default 100).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as redis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot.stack import Stack
from bot.transcript import Transcript
from tests.e2e.agent import AgentClient
from tests.e2e.security.junk import any_json, any_text, shaped_object
from tests.e2e.security.socket_fuzzing import (
    CLOSED,
    NO_ARGUMENT,
    LogWatch,
    LoopThread,
    RecordingVisitor,
    call_or_closed,
)
from tests.e2e.test_protocol_contract import SERVER_SCHEMA_NAMES, assert_matches, protocol_schemas

pytestmark = pytest.mark.stack

EXAMPLES = int(os.environ.get("FUZZ_SOCKET_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: a failure against the live stack shrinks for many minutes; the
    # failing example is printed as generated (derandomized, so it comes back).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one connection for all examples, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

RESENT_IDS = ("fuzz-a", "fuzz-b", "fuzz-c")
"""client_message_ids the fuzzer reuses, so resends happen all the time."""
OWN_SESSION = "<the socket's own session id>"


def payloads(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """What a hostile client sends with one event: anything, no payload, several
    payloads, or an object shaped like the documented one."""
    return st.one_of(
        any_json(),
        st.just(NO_ARGUMENT),
        st.tuples(any_json(), any_json()),
        shaped_object(fields),
        shaped_object(fields),
    )


counts = st.integers(min_value=-3, max_value=300)
EVENT_PAYLOADS: dict[str, st.SearchStrategy[Any]] = {
    "session_request": payloads(
        {
            "session_id": st.none() | st.just(OWN_SESSION) | any_text(250),
            "last_seq": counts,
            "protocol": st.sampled_from([0, 1, 2]),
            "user": shaped_object({"id": any_text(250), "hash": any_text(70)}),
        }
    ),
    "user_uttered": payloads(
        {
            "message": any_text(),
            "session_id": st.just(OWN_SESSION) | any_text(),
            "client_message_id": st.sampled_from(RESENT_IDS) | any_text(70),
            "metadata": any_json(binary=False),
            "customData": any_json(binary=False) | any_text(),
        }
    ),
    "typing": payloads({"typing": st.booleans()}),
    "history_request": payloads({"before_seq": counts, "limit": counts}),
    "rating": payloads({"score": st.integers(min_value=-1, max_value=7), "comment": any_text()}),
    "end_chat": payloads({}),
}


EXPLICIT_PAYLOADS: dict[str, list[Any]] = {
    "user_uttered": [
        {"message": "my order is late", "client_message_id": RESENT_IDS[0]},
        {"message": "my order is late", "client_message_id": RESENT_IDS[0]},  # a resend
        {"message": "see attached", "metadata": {"file": b"\x00\x01"}},  # once a TypeError
    ],
    "history_request": [{"before_seq": 10**40, "limit": 5}],  # once a Redis error
}
"""Examples run before the generated ones (hypothesis's explicit phase)."""


def with_own_session(payload: Any, session_id: str) -> Any:
    if isinstance(payload, dict):
        return {k: session_id if v == OWN_SESSION else v for k, v in payload.items()}
    return payload


def documented_events() -> set[str]:
    """The server → client events of docs/protocol.md (each has a JSON schema there)."""
    titles = set(protocol_schemas())
    renamed = {schema: event for event, schema in SERVER_SCHEMA_NAMES.items()}
    client_only = {"session_request", "user_uttered", "typing_from_visitor", "history_request",
                   "rating", "end_chat"}  # fmt: skip
    return {renamed.get(title, title) for title in titles - client_only}


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture
def fuzz_visitor(stack: Stack, loop_thread: LoopThread) -> Iterator[RecordingVisitor]:
    visitor = RecordingVisitor(stack.config.gateway_urls[0])
    loop_thread.run(visitor.open())
    yield visitor
    loop_thread.run(visitor.close())


@pytest.mark.parametrize("event", sorted(EVENT_PAYLOADS))
def test_no_payload_breaks_the_gateway_or_the_records(
    event: str, stack: Stack, loop_thread: LoopThread, fuzz_visitor: RecordingVisitor
) -> None:
    visitor, run = fuzz_visitor, loop_thread.run
    logs = LogWatch(stack)
    first_session = first_session_at_start = visitor.session_id
    sessions = {first_session}

    def send_junk(payload: Any) -> None:
        if not visitor.client.connected:  # the gateway closed it: a clean close is allowed
            run(visitor.open(first_session, last_seq=0))
        run(visitor.emit(event, with_own_session(payload, visitor.session_id)))
        if run(visitor.settle()):
            sessions.add(visitor.session_id)

    fuzz = FUZZ(given(payload=EVENT_PAYLOADS[event])(send_junk))
    for payload in EXPLICIT_PAYLOADS.get(event, []):
        fuzz = example(payload=payload)(fuzz)
    fuzz()

    # Still usable: the first conversation resumes and a valid message is taken.
    if event == "end_chat":
        first_session = run(visitor.open(None))  # the fuzzer closed it; a new one
    else:
        assert run(visitor.open(first_session, last_seq=0)) == first_session
    sessions.add(first_session)
    run(send_valid_message(visitor))

    assert_every_reply_documented(visitor.received)
    assert logs.exception_lines() == {}
    sessions |= {session_id for session_id in visitor.session_of_event if session_id}
    run(assert_recorded_once(stack.redis_url, sessions, visitor))
    if event == "user_uttered":  # the explicit resend happened, and was acked
        assert visitor.ack_count(first_session_at_start, RESENT_IDS[0]) >= 2


async def send_valid_message(visitor: RecordingVisitor) -> None:
    """A valid message is acknowledged (after waiting out a rate limit, if one applies)."""
    for attempt in range(3):
        start = len(visitor.received)
        ref = f"after-fuzzing-{attempt}"
        await visitor.emit("user_uttered", {"message": "hello", "client_message_id": ref})
        await visitor.settle()
        replies = visitor.received[start:]
        if any(e == "message_ack" and d["client_message_id"] == ref for e, d in replies):
            return
        waits = [d["retry_after_ms"] for e, d in replies if e == "slow_down"]
        assert waits, f"a valid message was neither acked nor slowed down: {replies}"
        await asyncio.sleep(waits[0] / 1000 + 0.1)
    raise AssertionError("a valid message was never acknowledged")


def assert_every_reply_documented(received: list[tuple[str, Any]]) -> None:
    documented = documented_events()
    for event, data in received:
        assert event in documented, f"undocumented event {event!r}: {data!r}"
        assert_matches(event, data, SERVER_SCHEMA_NAMES)


async def assert_recorded_once(
    redis_url: str, sessions: set[str], visitor: RecordingVisitor
) -> None:
    """Seqs 1..n; each client_message_id recorded once per conversation; every ack of
    an id names the one seq where the transcript has it (a resend is acked with the
    first copy's seq, never recorded again)."""
    client = redis.Redis.from_url(redis_url)
    try:
        transcript = Transcript(client)
        recorded: dict[tuple[str, str], list[int]] = {}
        for session_id in sessions:
            entries = await transcript.all(session_id)
            assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
            for entry in entries:
                ref = entry.body.get("client_message_id") if entry.kind == "visitor" else None
                if ref:
                    recorded.setdefault((session_id, ref), []).append(entry.seq)
    finally:
        await client.close()
    twice = {key: seqs for key, seqs in recorded.items() if len(seqs) > 1}
    assert not twice, f"recorded more than once: {twice}"
    for key, seqs in visitor.acks().items():
        assert [*seqs] == recorded.get(key), (
            f"{key} acked as {seqs}, recorded at {recorded.get(key)}"
        )


async def new_agent_client(url: str) -> AgentClient:
    """Made inside the loop that will use its HTTP session; it logs in from an address of
    its own (other tests' failed logins from 127.0.0.1 do not slow it down)."""
    return AgentClient(url, source=f"198.51.100.{secrets.randbelow(250) + 1}")


AGENT_EVENT_PAYLOADS: dict[str, st.SearchStrategy[Any]] = {
    "sync": payloads({}),
    "presence": payloads({"status": st.sampled_from(["online", "away", "offline", "busy"])}),
}


@pytest.mark.parametrize("event", sorted(AGENT_EVENT_PAYLOADS))
def test_no_payload_breaks_the_agents_namespace(
    event: str, stack: Stack, loop_thread: LoopThread
) -> None:
    logs = LogWatch(stack)
    run = loop_thread.run
    agent = run(new_agent_client(stack.config.gateway_urls[0]))
    try:
        run(agent.login("tom"))

        async def answer_to(payload: Any) -> Any:
            if agent.socket is None or not agent.socket.connected:
                await agent.connect_socket()  # the last example closed it (cleanly): come back
            assert agent.socket is not None
            return await call_or_closed(agent.socket, event, payload, "/agents")

        @FUZZ
        @given(payload=AGENT_EVENT_PAYLOADS[event])
        def send_junk(payload: Any) -> None:
            answer = run(answer_to(payload))
            assert answer is CLOSED or isinstance(answer, dict), answer

        send_junk()
        answer = run(answer_to({} if event == "sync" else {"status": "online"}))
        assert isinstance(answer, dict) and "error" not in answer, answer
    finally:
        run(agent.close())
    assert logs.exception_lines() == {}


MALFORMED_FRAMES = (
    '2["typing",',  # cut short
    '2["typing",{"typing":true}]trailing',
    "2" + "[" * 20_000 + "]" * 20_000,  # deeper than any JSON parser recurses
    '2["typing",' + "[" * 5_000 + "]" * 5_000 + "]",
    "2[]",  # no event name
    "2[1,2]",  # an event name that is not text
    '2{"typing":true}',  # not an array
    "2null",
    '2/nowhere,["typing",{"typing":true}]',  # a namespace that does not exist
    '3["an ack nobody asked for"]',
    "9",  # no such packet type
    "",
    '2["user_uttered",{"message":"\\ud800","client_message_id":"\\udfff"}]',  # lone halves
)
"""socket.io packets no library would send (one engine.io message each)."""


@pytest.mark.parametrize("frame", MALFORMED_FRAMES, ids=range(len(MALFORMED_FRAMES)))
def test_a_malformed_frame_is_dropped_or_closes_the_connection_cleanly(
    frame: str, stack: Stack, loop_thread: LoopThread, fuzz_visitor: RecordingVisitor
) -> None:
    visitor, run = fuzz_visitor, loop_thread.run
    logs = LogWatch(stack)
    session_id = visitor.session_id
    run(visitor.client.eio.send(frame))
    run(visitor.settle())  # answered, or closed
    assert run(visitor.open(session_id, last_seq=0)) == session_id
    run(send_valid_message(visitor))
    assert_every_reply_documented(visitor.received)
    assert logs.exception_lines() == {}
