"""Sessions the gateway issues: unguessable, signed, never someone else's chat."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pytest

from bot.chat_ids import chat_id
from bot.gateway.sessions import SessionSigner
from tests.e2e.conftest import IDENTITY_SECRET

pytestmark = pytest.mark.stack


def user(user_id: str, secret: str = IDENTITY_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    return {"id": user_id, "hash": digest}


async def test_the_server_issues_the_id_and_ignores_one_it_never_issued(
    visitor, open_visitor, gateway_urls
):
    await visitor.say("my order 48213 never arrived")
    real = visitor.session_id
    token, _, signature = real.partition(".")
    forged_ids = [
        "my-own-session-id",
        secrets.token_urlsafe(16)[:22] + "." + signature,  # someone else's signature
        token + "." + secrets.token_urlsafe(16)[:22],  # a guessed signature
        token[:-1] + ("A" if token[-1] != "A" else "B") + "." + signature,  # one char off
        SessionSigner("another-gateways-secret-0123").new_id(),
    ]
    for forged in forged_ids:
        intruder = await open_visitor(gateway_urls[0], session_id=forged, last_seq=0)
        assert intruder.session_id not in (forged, real)
        assert intruder.state["resumed"] is False and intruder.state["last_seq"] == 0
        history = await intruder.history()
        assert history == {"entries": [], "has_more": False}


async def test_a_genuine_id_continues_its_conversation_on_either_gateway(
    open_visitor, gateway_urls
):
    first = await open_visitor(gateway_urls[0])
    await first.say("my kettle arrived broken")
    await first.close()

    again = await open_visitor(gateway_urls[1], session_id=first.session_id, last_seq=0)

    assert again.session_id == first.session_id
    assert again.state["resumed"] is True
    assert again.state["last_seq"] == first.last_seq >= 3
    await again.wait_for_seq(first.last_seq)
    replayed = [(event, data["seq"]) for event, data in again.entries()]
    assert replayed == [(event, data["seq"]) for event, data in first.entries()]
    assert await again.say("yes") != []


async def test_a_closed_conversations_id_is_not_reopened(open_visitor, gateway_urls, transcript):
    first = await open_visitor(gateway_urls[0])
    await first.say("hello")
    await first.client.emit("end_chat", {})
    closed = await first.next_event("handoff")
    assert closed["state"] == "closed" and closed["by"] == "visitor"

    await first.send({"message": "one more thing", "client_message_id": "late"})
    assert (await first.next_event("error"))["error"] == "conversation_closed"
    assert "one more thing" not in [e.text for e in await transcript.all(first.session_id)]

    replay = await open_visitor(gateway_urls[1], session_id=first.session_id, last_seq=0)
    assert replay.session_id != first.session_id and replay.state["resumed"] is False


async def test_a_verified_identity_becomes_the_customer_key(open_visitor, gateway_urls, rasa_api):
    signed_in = await open_visitor(gateway_urls[0], user=user("cust-1001"))
    assert signed_in.state["customer"] == {"verified": True, "user_id": "cust-1001"}
    await signed_in.say("my order 48213 never arrived")
    tracker = await rasa_api.tracker(signed_in.session_id)
    assert tracker["latest_message"]["metadata"]["customer_key"] == "user:cust-1001"

    # The same id presented for another user is not that user's conversation.
    other = await open_visitor(
        gateway_urls[0], session_id=signed_in.session_id, user=user("cust-2002")
    )
    assert other.session_id != signed_in.session_id
    # Nor for an anonymous visitor.
    anonymous = await open_visitor(gateway_urls[1], session_id=signed_in.session_id)
    assert anonymous.session_id != signed_in.session_id
    # The right user gets it back.
    again = await open_visitor(
        gateway_urls[1], session_id=signed_in.session_id, user=user("cust-1001")
    )
    assert again.session_id == signed_in.session_id


async def test_a_forged_identity_is_rejected_and_the_visitor_stays_anonymous(
    open_visitor, gateway_urls
):
    forged = await open_visitor(gateway_urls[0], user=user("cust-1001", "not-the-secret"))
    error = next(data for event, data in forged.received if event == "error")
    assert error["error"] == "identity_rejected"
    assert forged.state["customer"] == {"verified": False}
    assert forged.customer_key == f"visitor:{chat_id(forged.session_id)}"
