"""bot/chat_ids.py: how agents and logs name a conversation without its session id
(issue 16, finding 4), against a real Redis."""

from __future__ import annotations

import pytest

from bot import redis_keys
from bot.chat_ids import (
    CHAT_ID_PATTERN,
    CHAT_ID_TTL_SECONDS,
    ChatIds,
    anonymous_customer_key,
    chat_id,
    customer_key_for_agents,
)
from bot.gateway.sessions import SessionSigner

SIGNER = SessionSigner("unit-test-session-secret-0123")


def test_a_chat_id_is_the_same_everywhere_opaque_and_never_a_session_id() -> None:
    session_id = SIGNER.new_id()

    chat = chat_id(session_id)

    assert chat == chat_id(session_id), "every process computes the same one"
    assert CHAT_ID_PATTERN.match(chat) and len(chat) == 22
    token, _, signature = session_id.partition(".")
    assert token not in chat and signature not in chat
    assert chat != chat_id(SIGNER.new_id())
    assert not SIGNER.is_genuine(chat), "presented as a session id, it is refused"


def test_an_anonymous_customer_key_names_the_chat_id() -> None:
    session_id = SIGNER.new_id()

    key = anonymous_customer_key(session_id)

    assert key == f"visitor:{chat_id(session_id)}"
    assert session_id not in key


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("user:cust-1001", "user:cust-1001"),
        ("visitor:someone", "visitor:someone"),
        ("session-7", "session-7"),
    ],
)
def test_keys_without_a_session_id_reach_agents_as_they_are(stored: str, shown: str) -> None:
    assert customer_key_for_agents(stored) == shown


def test_keys_written_before_chat_ids_reach_agents_without_the_session_id() -> None:
    session_id = SIGNER.new_id()

    assert customer_key_for_agents(f"visitor:{session_id}") == anonymous_customer_key(session_id)
    assert customer_key_for_agents(session_id) == anonymous_customer_key(session_id)


async def test_a_remembered_chat_id_leads_back_to_its_session_for_as_long_as_a_session(
    client,
) -> None:
    session_id = SIGNER.new_id()
    chat_ids = ChatIds(client)

    assert await chat_ids.session_of(chat_id(session_id)) is None
    assert await chat_ids.remember([session_id]) == {session_id: chat_id(session_id)}

    assert await chat_ids.session_of(chat_id(session_id)) == session_id
    ttl = await client.ttl(redis_keys.chat_key(chat_id(session_id)))
    assert CHAT_ID_TTL_SECONDS - 60 < ttl <= CHAT_ID_TTL_SECONDS


@pytest.mark.parametrize("presented", ["", "short", "a" * 22 + "." + "b" * 22, "é" * 22])
async def test_what_is_not_a_chat_id_leads_nowhere(client, presented: str) -> None:
    assert await ChatIds(client).session_of(presented) is None


async def test_a_mapping_to_another_session_is_not_followed(client) -> None:
    """Only ``remember`` writes the mapping; a key pointing elsewhere is ignored anyway."""
    victim, other = SIGNER.new_id(), SIGNER.new_id()
    await client.set(redis_keys.chat_key(chat_id(other)), victim)

    assert await ChatIds(client).session_of(chat_id(other)) is None
