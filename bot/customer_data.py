"""Everything stored about one customer: found, exported as JSON, or erased.

A customer is a customer key: ``user:<id>`` (a user id the host page vouched for) or
``visitor:<chat id>`` (an anonymous visitor; one conversation). Their conversations
are the sessions in ``customer-conversations:<key>`` (plus, for a visitor, the session
its chat id names, or in a key made before chat ids, the session in the key itself).
What belongs to them:

- per conversation: the session record, transcript and its sequence, owner, inbox,
  rate-limit window, rating, handoff packet, notes, Rasa's ``tracker:`` and ``lock:``
  keys, and the per-message keys named after the session id (``visitor-message:``,
  ``answered:``, ``handled-message:``); its place in the queue, the inbox-pending set,
  agents' ``agent-chats:`` sets and ``agent-read:`` hashes;
- per customer: their conversation and resolution indexes, each ``resolution:``, the
  agent who last helped them, and the entries of the ``handoff-requests`` and
  ``cancellation-requests`` streams that name the customer or one of their sessions.

Erasure is not one transaction: a message the customer sends while it runs can leave a
new record behind (erase again, or erase after the conversation ended). No rasa import:
the CLI (bot/privacy.py) and the gateway's agent API use it.

The client must answer bytes (``decode_responses=False``), like the gateway's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.redis_keys import decoded

CUSTOMER_KEY_PREFIXES = ("user:", "visitor:")
MAX_CUSTOMER_CHARS = 200
_PRINTABLE = re.compile(r"^[^\s\x00-\x1f\x7f]+$")

STREAMS_NAMING_CUSTOMERS = (
    redis_keys.HANDOFF_REQUESTS_STREAM,
    redis_keys.CANCELLATION_REQUESTS_STREAM,
)
"""Shared streams whose entries carry a ``request`` JSON with customer_key/session_id."""

_PER_SESSION_KEYS = (
    redis_keys.session_key,
    redis_keys.transcript_key,
    redis_keys.transcript_seq_key,
    redis_keys.owner_key,
    redis_keys.inbox_key,
    redis_keys.inbox_lease_key,
    redis_keys.rate_key,
    redis_keys.rating_key,
    redis_keys.handoff_key,
    redis_keys.notes_key,
    redis_keys.rasa_tracker_key,
    redis_keys.rasa_lock_key,
    lambda session_id: redis_keys.chat_key(chat_id(session_id)),
)
_PER_MESSAGE_PREFIXES = (
    redis_keys.VISITOR_MESSAGE_PREFIX,
    redis_keys.ANSWERED_PREFIX,
    redis_keys.HANDLED_MESSAGE_PREFIX,
)
"""Keys ``<prefix><session id or chat id>:<...>`` (client message ids are kept under the
session id, the gateway's message ids start with the chat id; neither has a colon);
found with one SCAN per prefix."""


class CustomerNotGiven(ValueError):
    """What was given cannot name a customer; the message says why."""


def customer_key_of(customer: str) -> str:
    """The customer key for what an operator typed: a key (``user:<id>``,
    ``visitor:<chat id>``) as it is, anything else as a verified user id."""
    given = customer.strip()
    if not given or len(given) > MAX_CUSTOMER_CHARS or not _PRINTABLE.match(given):
        raise CustomerNotGiven(
            f"a customer is a customer key (user:<id> or visitor:<chat id>) or a user id "
            f"of 1-{MAX_CUSTOMER_CHARS} printable characters without spaces"
        )
    if given.startswith(CUSTOMER_KEY_PREFIXES):
        if given.endswith(":"):
            raise CustomerNotGiven(f"{given!r} names no one: the id after the colon is missing")
        return given
    return f"user:{given}"


async def conversation_ids(client: redis.Redis, customer_key: str) -> list[str]:
    """The customer's sessions, oldest first."""
    members = await client.zrange(redis_keys.customer_conversations_key(customer_key), 0, -1)
    sessions = [decoded(member) for member in members]
    if customer_key.startswith("visitor:"):
        named = customer_key.removeprefix("visitor:")
        own = decoded(await client.get(redis_keys.chat_key(named))) or named
        if own not in sessions:
            sessions.insert(0, own)
    return sessions


async def export_customer(client: redis.Redis, customer_key: str) -> dict[str, Any]:
    """Every record of the customer, as JSON-ready data."""
    sessions = await conversation_ids(client, customer_key)
    conversations = [await _export_conversation(client, sid) for sid in sessions]
    references = [
        decoded(r)
        for r in await client.zrange(redis_keys.customer_resolutions_key(customer_key), 0, -1)
    ]
    resolutions = []
    for reference in references:
        record = await _read_key(client, redis_keys.resolution_key(reference))
        if record is not None:
            resolutions.append(record)
    named = await _stream_entries_naming(client, customer_key, set(sessions))
    return {
        "customer": customer_key,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "conversations": [c for c in conversations if c is not None],
        "resolutions": resolutions,
        "cancellations": [e for s, e in named if s == redis_keys.CANCELLATION_REQUESTS_STREAM],
        "handoff_requests": [e for s, e in named if s == redis_keys.HANDOFF_REQUESTS_STREAM],
        "last_agent": decoded(await client.get(redis_keys.customer_last_agent_key(customer_key))),
    }


async def _export_conversation(client: redis.Redis, session_id: str) -> dict[str, Any] | None:
    records = {
        "session": redis_keys.session_key(session_id),
        "transcript": redis_keys.transcript_key(session_id),
        "handoff": redis_keys.handoff_key(session_id),
        "notes": redis_keys.notes_key(session_id),
        "rating": redis_keys.rating_key(session_id),
        "tracker": redis_keys.rasa_tracker_key(session_id),
    }
    exported: dict[str, Any] = {"session_id": session_id}
    for name, key in records.items():
        exported[name] = await _read_key(client, key)
    if exported["transcript"] is not None:
        # Each transcript entry as recorded: {"kind", "at", "text", ...}, numbered.
        exported["transcript"] = [
            {"seq": int(row["id"].split("-")[0]), **row.get("entry", {})}
            for row in exported["transcript"]
        ]
    if all(exported[name] is None for name in records):
        return None  # nothing left of it (expired or erased)
    return exported


@dataclass
class ErasureReport:
    """What ``erase_customer`` removed."""

    customer: str
    conversations: list[str]
    deleted_keys: list[str] = field(default_factory=list)
    removed_members: dict[str, int] = field(default_factory=dict)
    """Key → how many members, fields or stream entries of that shared key were removed."""

    def as_json(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "conversations": self.conversations,
            "deleted_keys": self.deleted_keys,
            "removed_members": self.removed_members,
        }


async def keys_of_customer(client: redis.Redis, customer_key: str) -> list[str]:
    """The keys that are wholly the customer's (and exist)."""
    sessions = await conversation_ids(client, customer_key)
    candidates: list[str] = [
        redis_keys.customer_conversations_key(customer_key),
        redis_keys.customer_resolutions_key(customer_key),
        redis_keys.customer_last_agent_key(customer_key),
        redis_keys.handoff_open_key("customer", customer_key),
        redis_keys.handoff_held_back_key("customer", customer_key),
    ]
    references = await client.zrange(redis_keys.customer_resolutions_key(customer_key), 0, -1)
    candidates += [redis_keys.resolution_key(decoded(r)) for r in references]
    for session_id in sessions:
        candidates += [key_of(session_id) for key_of in _PER_SESSION_KEYS]
    own = set(sessions) | {chat_id(session_id) for session_id in sessions}
    for prefix in _PER_MESSAGE_PREFIXES:
        async for raw in client.scan_iter(match=f"{prefix}*", count=1000):
            key = decoded(raw)
            if key[len(prefix) :].split(":", 1)[0] in own:
                candidates.append(key)
    # The rate-limit windows of each door: ``rate:<event>:conversation:<session id>``.
    async for raw in client.scan_iter(match=f"{redis_keys.RATE_PREFIX}*", count=1000):
        key = decoded(raw)
        if key.rsplit(":", 1)[-1] in own:
            candidates.append(key)
    present = []
    for key in dict.fromkeys(candidates):
        if await client.exists(key):
            present.append(key)
    return present


async def erase_customer(client: redis.Redis, customer_key: str) -> ErasureReport:
    """Delete every record of the customer; returns what was deleted."""
    sessions = await conversation_ids(client, customer_key)
    report = ErasureReport(customer_key, sessions)
    # Shared structures first, while the indexes still say which sessions are theirs.
    for stream, entry_id in await _stream_entry_ids_naming(client, customer_key, set(sessions)):
        report.removed_members[stream] = report.removed_members.get(stream, 0) + int(
            await client.xdel(stream, entry_id)
        )
    if sessions:
        for shared in (redis_keys.HANDOFF_QUEUE, redis_keys.INBOX_PENDING):
            _count(report, shared, await client.zrem(shared, *sessions))
        async for raw in client.scan_iter(match=f"{redis_keys.AGENT_CHATS_PREFIX}*", count=500):
            _count(report, decoded(raw), await client.srem(raw, *sessions))
        async for raw in client.scan_iter(match=f"{redis_keys.AGENT_READ_PREFIX}*", count=500):
            _count(report, decoded(raw), await client.hdel(raw, *sessions))
        # Open requests for a person per client IP (bot/handoff/flood.py) name sessions.
        open_by_ip = f"{redis_keys.HANDOFF_OPEN_PREFIX}ip:*"
        async for raw in client.scan_iter(match=open_by_ip, count=500):
            _count(report, decoded(raw), await client.zrem(raw, *sessions))
    keys = await keys_of_customer(client, customer_key)
    if keys:
        await client.delete(*keys)
    report.deleted_keys = keys
    return report


def _count(report: ErasureReport, key: str, removed: int) -> None:
    if removed:
        report.removed_members[key] = report.removed_members.get(key, 0) + int(removed)


async def _stream_entry_ids_naming(
    client: redis.Redis, customer_key: str, sessions: set[str]
) -> list[tuple[str, str]]:
    found = []
    for stream in STREAMS_NAMING_CUSTOMERS:
        for entry_id, fields in await client.xrange(stream):
            if _names_customer(fields, customer_key, sessions):
                found.append((stream, decoded(entry_id)))
    return found


async def _stream_entries_naming(
    client: redis.Redis, customer_key: str, sessions: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for stream in STREAMS_NAMING_CUSTOMERS:
        for entry_id, fields in await client.xrange(stream):
            if _names_customer(fields, customer_key, sessions):
                found.append((stream, {"id": decoded(entry_id), **_decoded_fields(fields)}))
    return found


def _names_customer(fields: dict[Any, Any], customer_key: str, sessions: set[str]) -> bool:
    request = _decoded_fields(fields).get("request")
    if not isinstance(request, dict):
        return False
    return request.get("customer_key") == customer_key or request.get("session_id") in sessions


def _decoded_fields(fields: dict[Any, Any]) -> dict[str, Any]:
    return {decoded(name): _json_or_text(decoded(value)) for name, value in fields.items()}


def _json_or_text(text: str) -> Any:
    """Values stored as JSON objects or lists come back parsed; anything else as text."""
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


async def _read_key(client: redis.Redis, key: str) -> Any:
    """Any key as JSON-ready data (``None`` if it does not exist)."""
    kind = decoded(await client.type(key))
    if kind == "hash":
        return _decoded_fields(await client.hgetall(key))
    if kind == "stream":
        return [
            {"id": decoded(entry_id), **_decoded_fields(fields)}
            for entry_id, fields in await client.xrange(key)
        ]
    if kind == "string":
        return _json_or_text(decoded(await client.get(key)) or "")
    if kind == "list":
        return [_json_or_text(decoded(v)) for v in await client.lrange(key, 0, -1)]
    if kind == "set":
        return sorted(decoded(v) for v in await client.smembers(key))
    if kind == "zset":
        return [decoded(v) for v in await client.zrange(key, 0, -1)]
    return None
