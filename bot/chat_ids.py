"""Chat ids: how agents (and logs) name a conversation without its session id.

A session id is the visitor's bearer credential: presenting it in
``session_request`` continues the conversation as the customer. So nothing an agent
receives (queue, console socket, agent API paths and answers, handoff packets) and no
log line carries one. They carry the conversation's **chat id** instead:

    chat id = base64url(SHA-256("chat-id:" + session id))[:22]   (132 bits)

Deterministic, so every process (gateways, the action server, Rasa's channel)
computes the same one without sharing anything; one-way, so a chat id never leads
back to the session id. No secret is needed for that: a session id is 128 random
bits plus a 128-bit signature only the gateway can make, so nobody can hash guesses
of one. A chat id has no dot, so it is never a well-formed session id: presented in
``session_request`` it starts a new session.

The agent API turns a chat id back into the conversation with the Redis mapping
``chat:<chat id>`` → session id (bot/redis_keys.py). It is written when the gateway
opens or continues a session, when a conversation is queued for a person, and
whenever chat ids are shown to agents; it expires like the session record. No rasa
import.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

import redis.asyncio as redis

from bot import redis_keys
from bot.redis_keys import decoded

CHAT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22}$")
CHAT_ID_TTL_SECONDS = 90 * 24 * 3600
"""Like a session record (bot/gateway/sessions.py): kept this long after it was last
written."""

ANONYMOUS_CUSTOMER_PREFIX = "visitor:"
_SESSION_ID_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$")


def chat_id(session_id: str) -> str:
    """The conversation's chat id (what agents and logs see)."""
    digest = hashlib.sha256(f"chat-id:{session_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def anonymous_customer_key(session_id: str) -> str:
    """The customer key of a visitor nobody vouched for: one conversation, named by its
    chat id (the key reaches agents; the session id must not)."""
    return f"{ANONYMOUS_CUSTOMER_PREFIX}{chat_id(session_id)}"


def customer_key_for_agents(customer_key: str) -> str:
    """``customer_key`` as agents may see it: a key written before chat ids existed
    (``visitor:<session id>``, or a bare session id) names the chat id instead."""
    rest = customer_key.removeprefix(ANONYMOUS_CUSTOMER_PREFIX)
    if _SESSION_ID_SHAPE.match(rest):
        return anonymous_customer_key(rest)
    return customer_key


class ChatIds:
    """The ``chat:<chat id>`` → session id mapping in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def remember(self, session_ids: Iterable[str]) -> dict[str, str]:
        """Map the chat ids of ``session_ids`` to them (refreshing the expiry); the
        chat id of each, by session id."""
        chat_ids = {session_id: chat_id(session_id) for session_id in session_ids}
        if not chat_ids:
            return chat_ids
        async with self.client.pipeline(transaction=False) as pipe:
            for session_id, chat in chat_ids.items():
                pipe.set(redis_keys.chat_key(chat), session_id, ex=CHAT_ID_TTL_SECONDS)
            await pipe.execute()
        return chat_ids

    async def remember_one(self, session_id: str) -> str:
        return (await self.remember([session_id]))[session_id]

    async def session_of(self, chat: str) -> str | None:
        """The session id behind a chat id (``None`` if unknown or malformed)."""
        if not CHAT_ID_PATTERN.match(chat):
            return None
        session_id = decoded(await self.client.get(redis_keys.chat_key(chat)))
        # The mapping is only ever written from the session id: check it anyway.
        if session_id is None or chat_id(session_id) != chat:
            return None
        return session_id
