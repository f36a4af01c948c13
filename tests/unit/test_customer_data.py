"""bot/customer_data.py and ``python -m bot.privacy`` on the real test Redis: a customer's
records, written by the product's own writers, exported and erased; another customer's
records untouched."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot import redis_keys
from bot.case_records import CancellationRequest, CaseRecords, HandoffRequest, ResolutionRecord
from bot.customer_data import (
    CustomerNotGiven,
    customer_key_of,
    erase_customer,
    export_customer,
)
from bot.gateway.sessions import SessionSigner, SessionStore, VerifiedUser
from bot.transcript import Transcript
from tests.cli import run_tool
from tests.redis_contents import all_keys, everything_mentioning

SECRET = "a-test-session-secret-of-enough-length"


@pytest.fixture
async def raw_client(redis_url: str) -> AsyncIterator[redis.Redis]:
    """A bytes client (like the gateway's) on an emptied test Redis."""
    client = redis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.close()


async def a_conversation(client: redis.Redis, user: VerifiedUser | None) -> tuple[str, str]:
    """One conversation with every kind of record; returns (session id, customer key)."""
    session = await SessionStore(client, SessionSigner(SECRET)).create(user)
    sid, key = session.session_id, session.customer_key
    transcript = Transcript(client)
    await transcript.append(sid, "visitor_message", text=f"my order 48213 is late ({sid[:4]})")
    await transcript.append(sid, "bot_message", text="I'm sorry to hear that.")
    await client.hset(redis_keys.handoff_key(sid), mapping={"customer_key": key, "packet": "{}"})
    await client.xadd(redis_keys.notes_key(sid), {"agent_id": "maria", "text": "called back"})
    await client.hset(redis_keys.rating_key(sid), mapping={"score": 4, "comment": "ok"})
    tracker = {"sender_id": sid, "events": [{"event": "user", "text": "my order is late"}]}
    await client.set(redis_keys.rasa_tracker_key(sid), json.dumps(tracker))
    await client.set(redis_keys.visitor_message_key(sid, "c-1"), 1)
    await client.set(redis_keys.answered_key(f"{sid}:0123abcd"), 1)
    await client.zadd(redis_keys.HANDOFF_QUEUE, {sid: 1})
    await client.sadd(redis_keys.agent_chats_key("maria"), sid)
    await client.hset(redis_keys.agent_read_key("maria"), sid, 3)
    await client.set(redis_keys.customer_last_agent_key(key), "maria")
    records = CaseRecords(client)
    await records.save_resolution(
        ResolutionRecord(
            reference=f"NW-1-{sid[:6]}", customer_key=key, session_id=sid,
            categories=["late_delivery"], order_id="48213", fix="refund the delivery fee",
            within_authority=True, agreed_at="2026-12-01T10:00:00+00:00",
        )
    )  # fmt: skip
    await records.save_cancellation(
        CancellationRequest(f"NW-2-{sid[:6]}", sid, key, "48213", "2026-12-01T10:00:00+00:00")
    )
    await records.save_handoff_request(
        HandoffRequest(sid, key, "customer_request", "asked", [], None, None, "2026-12-01")
    )
    return sid, key


def test_a_customer_is_a_key_or_a_verified_user_id():
    assert customer_key_of("user:u-1") == "user:u-1"
    assert customer_key_of(" visitor:abc.def ") == "visitor:abc.def"
    assert customer_key_of("u-1") == "user:u-1"
    for bad in ("", "  ", "user:", "has space", "x" * 201, "tab\there"):
        with pytest.raises(CustomerNotGiven):
            customer_key_of(bad)


async def test_the_export_holds_every_record_of_every_conversation(raw_client):
    first, key = await a_conversation(raw_client, VerifiedUser("u-1001"))
    second, _ = await a_conversation(raw_client, VerifiedUser("u-1001"))
    await a_conversation(raw_client, VerifiedUser("someone-else"))

    exported = await export_customer(raw_client, key)

    assert exported["customer"] == "user:u-1001"
    assert [c["session_id"] for c in exported["conversations"]] == [first, second]
    conversation = exported["conversations"][0]
    assert conversation["transcript"][0]["text"].startswith("my order 48213")
    assert conversation["handoff"]["customer_key"] == key
    assert conversation["notes"][0]["text"] == "called back"
    assert conversation["rating"]["score"] == "4"
    assert conversation["tracker"]["events"][0]["text"] == "my order is late"
    assert conversation["session"]["verified_user_id"] == "u-1001"
    assert len(exported["resolutions"]) == 2
    assert {c["request"]["session_id"] for c in exported["cancellations"]} == {first, second}
    assert len(exported["handoff_requests"]) == 2
    assert exported["last_agent"] == "maria"
    assert "someone-else" not in json.dumps(exported)


async def test_erasure_leaves_nothing_of_the_customer_and_everything_of_others(raw_client):
    sid, key = await a_conversation(raw_client, None)
    other_sid, other_key = await a_conversation(raw_client, VerifiedUser("u-2002"))
    others_before = await everything_mentioning(raw_client, other_sid)

    report = await erase_customer(raw_client, key)

    assert await everything_mentioning(raw_client, sid) == []
    assert await everything_mentioning(raw_client, key) == []
    assert redis_keys.rasa_tracker_key(sid) in report.deleted_keys
    assert report.removed_members[redis_keys.CANCELLATION_REQUESTS_STREAM] == 1
    assert report.removed_members[redis_keys.agent_chats_key("maria")] == 1
    assert await everything_mentioning(raw_client, other_sid) == others_before
    assert (await export_customer(raw_client, other_key))["conversations"]


async def test_erasing_an_unknown_customer_deletes_nothing(raw_client):
    await a_conversation(raw_client, None)
    before = await all_keys(raw_client)

    report = await erase_customer(raw_client, "user:nobody")

    assert report.deleted_keys == []
    assert report.removed_members == {}
    assert await all_keys(raw_client) == before


def privacy_cli(redis_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_tool("bot.privacy", *args, stdin=stdin, environment={"REDIS_URL": redis_url})


async def test_the_cli_exports_json_and_erases_only_when_confirmed(raw_client, redis_url):
    sid, _ = await a_conversation(raw_client, VerifiedUser("u-3003"))

    exported = privacy_cli(redis_url, "export", "u-3003")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["conversations"][0]["session_id"] == sid

    refused = privacy_cli(redis_url, "erase", "u-3003", stdin="yes\n")
    assert refused.returncode == 1
    assert "nothing was erased" in refused.stderr
    assert await everything_mentioning(raw_client, sid)

    typed_back = privacy_cli(redis_url, "erase", "u-3003", stdin="user:u-3003\n")
    assert typed_back.returncode == 0, typed_back.stderr
    assert redis_keys.transcript_key(sid) in json.loads(typed_back.stdout)["deleted_keys"]
    assert await everything_mentioning(raw_client, sid) == []


async def test_the_cli_erases_without_asking_with_yes_and_refuses_a_bad_customer(
    raw_client, redis_url
):
    sid, key = await a_conversation(raw_client, None)

    erased = privacy_cli(redis_url, "erase", key, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert await everything_mentioning(raw_client, sid) == []

    bad = privacy_cli(redis_url, "export", "user:")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: ")
