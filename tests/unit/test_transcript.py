"""bot/transcript.py on the real test Redis: numbering, reading, paging and publishing entries."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.transcript import QueuedWork, Transcript, TranscriptEntry
from tests.unit.conftest import confirmed_subscription

TIMESTAMP_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
AGENT = {"kind": "agent", "id": "a-7", "name": "Priya", "avatar_url": None}


@pytest.fixture
async def second_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    await client.close()


@pytest.fixture
def transcript(client) -> Transcript:
    return Transcript(client)


@pytest.fixture
def session_id() -> str:
    return f"test-{secrets.token_hex(8)}"


@pytest.fixture
async def subscription(client) -> AsyncIterator[redis.client.PubSub]:
    """Listening on the conversation-events channel (confirmed before the test starts)."""
    pubsub = await confirmed_subscription(client, redis_keys.CONVERSATION_EVENTS_CHANNEL)
    yield pubsub
    await pubsub.unsubscribe()
    await pubsub.close()


async def published(pubsub, session_id: str, count: int) -> list[dict]:
    """The next ``count`` messages published for ``session_id``, as decoded JSON."""
    messages: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while len(messages) < count and loop.time() < deadline:
        raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if raw is None:
            continue
        message = json.loads(raw["data"])
        if message.get("session_id") == session_id:
            messages.append(message)
    return messages


async def fill(transcript: Transcript, session_id: str, count: int) -> list[TranscriptEntry]:
    return [
        await transcript.append(session_id, "bot", text=f"message {n}") for n in range(1, count + 1)
    ]


def seqs(entries: list[TranscriptEntry]) -> list[int]:
    return [entry.seq for entry in entries]


# Appending and numbering


async def test_the_first_entry_is_number_one(transcript, session_id):
    entry = await transcript.append(session_id, "visitor", text="hello", client_message_id="c1")

    assert entry.seq == 1
    assert entry.kind == "visitor"
    assert entry.body == {"text": "hello", "client_message_id": "c1"}
    assert TIMESTAMP_PATTERN.match(entry.at)


async def test_entries_are_numbered_one_to_n_without_gaps(transcript, session_id):
    entries = await fill(transcript, session_id, 10)

    assert seqs(entries) == list(range(1, 11))
    assert seqs(await transcript.all(session_id)) == list(range(1, 11))


async def test_each_conversation_counts_from_one(transcript, session_id):
    other_session = f"test-{secrets.token_hex(8)}"
    await fill(transcript, session_id, 3)

    entry = await transcript.append(other_session, "bot", text="welcome")

    assert entry.seq == 1
    assert await transcript.last_seq(session_id) == 3
    assert await transcript.last_seq(other_session) == 1


async def test_an_entry_reads_back_as_it_was_appended(transcript, session_id):
    appended = [
        await transcript.append(
            session_id, "visitor", text="where is 48213?", client_message_id=None
        ),
        await transcript.append(
            session_id,
            "bot",
            text="Which option?",
            sender={"kind": "bot"},
            quick_replies=[{"content_type": "text", "title": "Refund", "payload": "/refund"}],
        ),
        await transcript.append(session_id, "agent", text="Hi, I'm Priya.", sender=AGENT),
        await transcript.append(session_id, "system", handoff={"state": "queued", "position": 2}),
    ]

    assert await transcript.all(session_id) == appended


async def test_the_stream_id_is_the_sequence_number_and_the_entry_is_one_json_field(
    transcript, client, session_id
):
    entry = await transcript.append(session_id, "bot", text="hello", sender={"kind": "bot"})

    rows = await client.xrange(redis_keys.transcript_key(session_id))
    assert [row_id for row_id, _ in rows] == [b"1-1"]
    fields = rows[0][1]
    assert list(fields) == [b"entry"]
    assert json.loads(fields[b"entry"]) == {
        "kind": "bot",
        "at": entry.at,
        "text": "hello",
        "sender": {"kind": "bot"},
    }


async def test_last_seq_is_zero_for_an_empty_conversation(transcript, session_id):
    assert await transcript.last_seq(session_id) == 0
    assert await transcript.all(session_id) == []


async def test_last_seq_follows_the_appends(transcript, session_id):
    await fill(transcript, session_id, 4)

    assert await transcript.last_seq(session_id) == 4


async def test_concurrent_appends_get_distinct_consecutive_numbers(transcript, session_id):
    entries = await asyncio.gather(
        *(transcript.append(session_id, "bot", text=f"task {n}") for n in range(50))
    )

    assert sorted(seqs(entries)) == list(range(1, 51))
    stored = await transcript.all(session_id)
    assert seqs(stored) == list(range(1, 51))
    assert {entry.seq: entry.text for entry in stored} == {e.seq: e.text for e in entries}


async def test_appends_from_two_clients_at_once_never_collide(
    transcript, second_client, session_id
):
    other_gateway = Transcript(second_client)

    async def append_many(writer: Transcript, name: str) -> list[TranscriptEntry]:
        entries = []
        for n in range(30):
            entries.append(await writer.append(session_id, "bot", text=f"{name} {n}"))
            await asyncio.sleep(0)
        return entries

    first, second = await asyncio.gather(
        append_many(transcript, "first"), append_many(other_gateway, "second")
    )

    assert sorted(seqs(first) + seqs(second)) == list(range(1, 61))
    assert seqs(first) == sorted(seqs(first))
    assert seqs(second) == sorted(seqs(second))
    assert seqs(await transcript.all(session_id)) == list(range(1, 61))
    assert await other_gateway.last_seq(session_id) == 60


# Reading after a number


async def test_after_returns_the_entries_with_a_higher_number_in_order(transcript, session_id):
    await fill(transcript, session_id, 6)

    entries = await transcript.after(session_id, 3)

    assert seqs(entries) == [4, 5, 6]
    assert [entry.text for entry in entries] == ["message 4", "message 5", "message 6"]


async def test_after_zero_is_the_whole_transcript(transcript, session_id):
    await fill(transcript, session_id, 3)

    assert await transcript.after(session_id, 0) == await transcript.all(session_id)


async def test_after_the_last_number_is_empty(transcript, session_id):
    await fill(transcript, session_id, 3)

    assert await transcript.after(session_id, 3) == []
    assert await transcript.after(session_id, 99) == []


async def test_after_with_upto_includes_the_upper_number(transcript, session_id):
    await fill(transcript, session_id, 8)

    assert seqs(await transcript.after(session_id, 2, upto=5)) == [3, 4, 5]
    assert seqs(await transcript.after(session_id, 0, upto=1)) == [1]
    assert seqs(await transcript.after(session_id, 7, upto=8)) == [8]


async def test_after_with_upto_at_or_below_seq_is_empty(transcript, session_id):
    await fill(transcript, session_id, 5)

    assert await transcript.after(session_id, 3, upto=3) == []
    assert await transcript.after(session_id, 4, upto=2) == []


async def test_after_with_upto_beyond_the_end_stops_at_the_end(transcript, session_id):
    await fill(transcript, session_id, 4)

    assert seqs(await transcript.after(session_id, 1, upto=100)) == [2, 3, 4]


async def test_after_reads_only_its_own_conversation(transcript, session_id):
    other_session = f"test-{secrets.token_hex(8)}"
    await fill(transcript, other_session, 5)
    await transcript.append(session_id, "bot", text="mine")

    assert [entry.text for entry in await transcript.all(session_id)] == ["mine"]


# Paging backwards


@pytest.mark.parametrize(
    ("recorded", "before_seq", "limit", "expected", "more"),
    [
        (12, None, 5, [8, 9, 10, 11, 12], True),  # the newest page
        (12, 8, 5, [3, 4, 5, 6, 7], True),  # ends just before the number given
        (12, 3, 5, [1, 2], False),  # the oldest page says there is nothing more
        (5, 6, 5, [1, 2, 3, 4, 5], False),  # ends exactly at the first entry
        (5, None, 4, [2, 3, 4, 5], True),  # one short of the first entry
    ],
)
async def test_pages_go_backwards_and_say_whether_there_is_more(
    transcript, session_id, recorded, before_seq, limit, expected, more
):
    await fill(transcript, session_id, recorded)

    entries, has_more = await transcript.page_before(session_id, before_seq, limit)

    assert seqs(entries) == expected
    assert has_more is more


async def test_paging_back_from_the_newest_visits_every_entry_once(transcript, session_id):
    await fill(transcript, session_id, 23)
    pages: list[list[int]] = []
    before = None

    while True:
        entries, has_more = await transcript.page_before(session_id, before, 5)
        pages.append(seqs(entries))
        if not has_more:
            break
        before = entries[0].seq

    assert pages == [
        [19, 20, 21, 22, 23],
        [14, 15, 16, 17, 18],
        [9, 10, 11, 12, 13],
        [4, 5, 6, 7, 8],
        [1, 2, 3],
    ]


@pytest.mark.parametrize("before_seq", [1, 0, -4])
async def test_nothing_comes_before_the_first_entry(transcript, session_id, before_seq):
    await fill(transcript, session_id, 3)

    assert await transcript.page_before(session_id, before_seq, 10) == ([], False)


async def test_the_newest_page_of_an_empty_conversation_is_empty(transcript, session_id):
    assert await transcript.page_before(session_id, None, 50) == ([], False)


async def test_a_page_before_a_number_beyond_the_end_is_the_newest_page(transcript, session_id):
    await fill(transcript, session_id, 4)

    assert await transcript.page_before(session_id, 500, 3) == (
        await transcript.page_before(session_id, None, 3)
    )


async def test_paged_entries_carry_their_bodies(transcript, session_id):
    agent_line = await transcript.append(session_id, "agent", text="I'm on it.", sender=AGENT)

    entries, _ = await transcript.page_before(session_id, None, 10)

    assert entries == [agent_line]


# Publishing to every gateway


async def test_appended_entries_are_published_in_order_with_their_numbers(
    transcript, subscription, session_id
):
    appended = [
        await transcript.append(session_id, "visitor", text="hi", client_message_id="c1"),
        await transcript.append(session_id, "bot", text="Hello!", sender={"kind": "bot"}),
        await transcript.append(session_id, "system", handoff={"state": "queued", "position": 1}),
    ]

    messages = await published(subscription, session_id, 3)

    assert [message["seq"] for message in messages] == [1, 2, 3]
    assert all(message["type"] == "entry" for message in messages)
    assert [
        TranscriptEntry.from_json(message["seq"], json.dumps(message["entry"]))
        for message in messages
    ] == appended


async def test_concurrently_appended_entries_are_published_in_sequence_order(
    transcript, second_client, subscription, session_id
):
    other_gateway = Transcript(second_client)
    writers = [transcript, other_gateway] * 10

    await asyncio.gather(
        *(writer.append(session_id, "bot", text=f"n{n}") for n, writer in enumerate(writers))
    )

    messages = await published(subscription, session_id, 20)
    assert [message["seq"] for message in messages] == list(range(1, 21))
    stored = {entry.seq: entry.text for entry in await transcript.all(session_id)}
    assert {message["seq"]: message["entry"]["text"] for message in messages} == stored


async def test_published_entries_are_valid_json_whatever_the_text(
    transcript, subscription, session_id
):
    text = 'quotes " and \\ backslashes } braces {"seq": 99} and a\nnewline'

    entry = await transcript.append(session_id, "visitor", text=text, client_message_id="c1")

    (message,) = await published(subscription, session_id, 1)
    assert message["seq"] == entry.seq
    assert message["entry"]["text"] == text
    assert message["entry"]["client_message_id"] == "c1"


# Text as written


UNICODE_TEXTS = [
    "Grüße aus Köln — 48213 kam nicht an",
    "我的包裹没有到 📦",
    "طلبي متأخر",
    "family 👨‍👩‍👧 flag 🇩🇪 skin 👍🏽",
    "e\u0301 combining, zero\u200bwidth, word\u2060joiner",
    "tab\tand\r\nwindows newline",
]


@pytest.mark.parametrize("text", UNICODE_TEXTS)
async def test_unicode_text_is_stored_and_read_back_exactly(transcript, session_id, text):
    await transcript.append(session_id, "visitor", text=text, client_message_id=None)

    (entry,) = await transcript.all(session_id)
    assert entry.text == text
    ((paged,), _) = await transcript.page_before(session_id, None, 1)
    assert paged.text == text


async def test_unicode_text_is_published_exactly(transcript, subscription, session_id):
    for text in UNICODE_TEXTS:
        await transcript.append(session_id, "bot", text=text)

    messages = await published(subscription, session_id, len(UNICODE_TEXTS))

    assert [message["entry"]["text"] for message in messages] == UNICODE_TEXTS


async def test_text_with_a_lone_surrogate_from_json_is_recorded(transcript, session_id):
    text = json.loads('"cut emoji \\ud83d"')

    await transcript.append(session_id, "visitor", text=text, client_message_id=None)

    assert [entry.text for entry in await transcript.all(session_id)] == [text]


# TranscriptEntry


def test_an_entry_without_text_has_no_text():
    entry = TranscriptEntry(seq=1, kind="system", at="2024-11-23T15:02:11.204Z", body={})

    assert entry.text is None


def test_an_entry_whose_text_is_not_a_string_has_no_text():
    entry = TranscriptEntry(seq=1, kind="bot", at="2024-11-23T15:02:11.204Z", body={"text": 5})

    assert entry.text is None


def test_an_entry_survives_a_json_round_trip():
    entry = TranscriptEntry(
        seq=9,
        kind="agent",
        at="2024-11-23T15:02:11.204Z",
        body={"text": "Grüße 📦", "sender": AGENT},
    )

    assert TranscriptEntry.from_json(9, entry.to_json()) == entry
    assert TranscriptEntry.from_json(9, entry.to_json().encode()) == entry


async def test_work_queued_with_an_entry_is_queued_in_the_same_step(transcript, client, session_id):
    work = QueuedWork(
        list_key=f"test-inbox:{session_id}", pending_key="test-pending", payload='{"n": 1}'
    )
    entry = await transcript.append(session_id, "visitor", queue=work, text="hello")
    await transcript.append(session_id, "bot", text="hi")  # nothing queued with this one

    assert await client.lrange(work.list_key, 0, -1) == [b'{"n": 1}']
    assert await client.zscore("test-pending", session_id) is not None
    assert [e.seq for e in await transcript.all(session_id)] == [entry.seq, entry.seq + 1]


@pytest.mark.parametrize(
    ("guard_value", "queued"),
    [(None, "ask"), ("bot", "ask"), ("agent:maria", "record"), ("queued", "record")],
)
async def test_the_work_queued_depends_on_the_guard_key_when_the_entry_is_recorded(
    transcript, client, session_id, guard_value, queued
):
    guard = f"test-owner:{session_id}"
    if guard_value is not None:
        await client.set(guard, guard_value)
    work = QueuedWork(
        list_key=f"test-inbox:{session_id}",
        pending_key="test-pending",
        payload="ask",
        unless=(guard, "bot", "record"),
    )

    await transcript.append(session_id, "visitor", queue=work, text="hello")

    assert await client.lrange(work.list_key, 0, -1) == [queued.encode()]


async def test_an_entry_that_cannot_be_recorded_queues_nothing(transcript, client, session_id):
    await client.set(redis_keys.transcript_key(session_id), "not a stream")
    work = QueuedWork(list_key=f"test-inbox:{session_id}", pending_key="test-pending-2",
                      payload="x")  # fmt: skip

    with pytest.raises(redis.ResponseError):
        await transcript.append(session_id, "visitor", queue=work, text="hello")

    assert await client.exists(work.list_key) == 0


async def test_entries_recorded_once_are_not_recorded_again_under_the_same_key(
    transcript, session_id
):
    replies = [("bot", {"text": "first"}), ("bot", {"text": "second"})]
    once = f"test-answered:{session_id}"

    assert await transcript.append_once(session_id, replies, once_key=once) is True
    assert await transcript.append_once(session_id, replies, once_key=once) is False

    recorded = await transcript.all(session_id)
    assert [(e.seq, e.kind, e.text) for e in recorded] == [
        (1, "bot", "first"),
        (2, "bot", "second"),
    ]


async def test_nothing_to_record_once_still_marks_the_key(transcript, client, session_id):
    once = f"test-answered-empty:{session_id}"
    assert await transcript.append_once(session_id, [], once_key=once) is False
    assert await client.exists(once) == 1
    assert await transcript.all(session_id) == []
