"""The record of a conversation: one append-only Redis stream per session.

Every visitor, bot, agent and system message is an entry with a sequence number
(1, 2, 3, … per conversation, no gaps) and a time. Appending assigns the number
and publishes the entry to every gateway in one Lua script, so numbers never
collide across processes and every gateway sees entries in sequence order.

No rasa import: the gateway, the action server and later tools all use this.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import redis.asyncio as redis

from bot import redis_keys

EntryKind = Literal["visitor", "bot", "agent", "system"]

# Append one entry (JSON in `entry`) to KEYS[1] numbered from the counter KEYS[2] and
# publish it; `session` and `channel` come from ARGV. The stream id "<seq>-1" makes the
# sequence number the stream's own order.
_APPEND_ONE = """
local function append(session, channel, entry)
  local seq = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[1], seq .. '-1', 'entry', entry)
  redis.call('PUBLISH', channel,
    '{"type":"entry","session_id":"' .. session .. '","seq":' .. seq .. ',"entry":' .. entry .. '}')
  return seq
end
"""

# KEYS: stream, counter[, work list, pending set[, alternative's key]].
# ARGV: session, entry, channel[, work, time[, alternative's expected value, its work]].
_APPEND_SCRIPT = (
    _APPEND_ONE
    + """
local seq = append(ARGV[1], ARGV[3], ARGV[2])
if KEYS[3] then
  local work = ARGV[4]
  if KEYS[5] then
    local value = redis.call('GET', KEYS[5])
    if value and value ~= ARGV[6] then work = ARGV[7] end
  end
  redis.call('RPUSH', KEYS[3], work)
  redis.call('ZADD', KEYS[4], 'NX', ARGV[5], ARGV[1])
end
return seq
"""
)

# KEYS: stream, counter, guard key, work list, pending set. ARGV: session, entry, channel,
# work, time, expected guard value. Appends (and queues) only while the guard key holds
# the expected value.
_APPEND_IF_SCRIPT = (
    _APPEND_ONE
    + """
if redis.call('GET', KEYS[3]) ~= ARGV[6] then return 0 end
local seq = append(ARGV[1], ARGV[3], ARGV[2])
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('ZADD', KEYS[5], 'NX', ARGV[5], ARGV[1])
return seq
"""
)

# KEYS: stream, counter, once key. ARGV: session, channel, once TTL, entries...
_APPEND_ONCE_SCRIPT = (
    _APPEND_ONE
    + """
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[3]) then return 0 end
for i = 4, #ARGV do append(ARGV[1], ARGV[2], ARGV[i]) end
return #ARGV - 3
"""
)

ONCE_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class QueuedWork:
    """Work queued in the same step as a transcript entry: both happen or neither."""

    list_key: str
    """The list the payload is appended to."""
    pending_key: str
    """A sorted set of conversations with queued work, scored by when it was first queued."""
    payload: str
    unless: tuple[str, str, str] | None = None
    """``(key, expected, other payload)``: queue the other payload instead when Redis
    ``key`` holds something else than ``expected`` (absent counts as expected), decided
    in the same step as the recording (who owns a conversation, for a visitor message)."""


def utc_timestamp(at: float | None = None) -> str:
    """Now (or the Unix time ``at``), ISO 8601 UTC with milliseconds:
    ``2026-11-23T15:02:11.204Z``."""
    moment = datetime.now(timezone.utc) if at is None else datetime.fromtimestamp(at, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class TranscriptEntry:
    """One message or event of a conversation, as recorded."""

    seq: int
    kind: EntryKind
    at: str
    body: dict[str, Any] = field(default_factory=dict)
    """Kind-specific fields: ``text``, ``sender``, ``client_message_id``, ``handoff``…"""

    @property
    def text(self) -> str | None:
        text = self.body.get("text")
        return text if isinstance(text, str) else None

    def to_json(self) -> str:
        # ASCII JSON: any text a client could send (even half an emoji) stores and reads back.
        return json.dumps({"kind": self.kind, "at": self.at, **self.body})

    @classmethod
    def from_json(cls, seq: int, raw: str | bytes) -> TranscriptEntry:
        return cls.from_fields(seq, json.loads(raw))

    @classmethod
    def from_fields(cls, seq: int, fields: dict[str, Any]) -> TranscriptEntry:
        """The entry stored as ``fields`` (what ``to_json`` wrote, decoded)."""
        body = dict(fields)
        kind = body.pop("kind")
        at = body.pop("at")
        return cls(seq=seq, kind=kind, at=at, body=body)


def _seq_of(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.split("-", 1)[0])


def _entry(row_id: bytes, fields: dict[bytes, bytes]) -> TranscriptEntry:
    return TranscriptEntry.from_json(_seq_of(row_id), fields[b"entry"])


class Transcript:
    """Reads and appends the transcripts of all conversations."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._append = client.register_script(_APPEND_SCRIPT)
        self._append_once = client.register_script(_APPEND_ONCE_SCRIPT)
        self._append_if = client.register_script(_APPEND_IF_SCRIPT)

    async def append(
        self,
        session_id: str,
        kind: EntryKind,
        *,
        queue: QueuedWork | None = None,
        **body: Any,
    ) -> TranscriptEntry:
        """Record an entry (and announce it to every gateway); return it with its number.

        ``queue`` is queued in the same atomic step (the gateway queues a visitor
        message for the bot this way, so a recorded message is never left unanswered).
        """
        at = utc_timestamp()
        probe = TranscriptEntry(seq=0, kind=kind, at=at, body=body)
        keys = [redis_keys.transcript_key(session_id), redis_keys.transcript_seq_key(session_id)]
        args: list[str | float] = [
            session_id, probe.to_json(), redis_keys.CONVERSATION_EVENTS_CHANNEL
        ]  # fmt: skip
        if queue is not None:
            keys += [queue.list_key, queue.pending_key]
            args += [queue.payload, time.time()]
            if queue.unless is not None:
                key, expected, other = queue.unless
                keys.append(key)
                args += [expected, other]
        seq = await self._append(keys=keys, args=args)
        return TranscriptEntry(seq=int(seq), kind=kind, at=at, body=body)

    async def append_if(
        self,
        session_id: str,
        kind: EntryKind,
        *,
        guard: tuple[str, str],
        queue: QueuedWork,
        **body: Any,
    ) -> TranscriptEntry | None:
        """Record an entry and queue ``queue`` only while Redis key ``guard[0]`` holds
        ``guard[1]`` (an agent's message only while they own the conversation); ``None``
        if it did not."""
        at = utc_timestamp()
        probe = TranscriptEntry(seq=0, kind=kind, at=at, body=body)
        seq = await self._append_if(
            keys=[
                redis_keys.transcript_key(session_id),
                redis_keys.transcript_seq_key(session_id),
                guard[0],
                queue.list_key,
                queue.pending_key,
            ],
            args=[
                session_id, probe.to_json(), redis_keys.CONVERSATION_EVENTS_CHANNEL,
                queue.payload, time.time(), guard[1],
            ],
        )  # fmt: skip
        if not seq:
            return None
        return TranscriptEntry(seq=int(seq), kind=kind, at=at, body=body)

    async def append_once(
        self, session_id: str, entries: list[tuple[EntryKind, dict[str, Any]]], once_key: str
    ) -> bool:
        """Record ``entries`` together, unless entries were already recorded under
        ``once_key`` (a retry after a crash must not record the bot's replies twice).
        Whether they were recorded now."""
        at = utc_timestamp()
        recorded = await self._append_once(
            keys=[
                redis_keys.transcript_key(session_id),
                redis_keys.transcript_seq_key(session_id),
                once_key,
            ],
            args=[
                session_id,
                redis_keys.CONVERSATION_EVENTS_CHANNEL,
                ONCE_TTL_SECONDS,
                *(TranscriptEntry(0, kind, at, body).to_json() for kind, body in entries),
            ],
        )
        return bool(recorded)

    async def last_seq(self, session_id: str) -> int:
        value = await self.client.get(redis_keys.transcript_seq_key(session_id))
        return int(value) if value else 0

    async def after(
        self, session_id: str, seq: int, upto: int | None = None
    ) -> list[TranscriptEntry]:
        """Entries with a number greater than ``seq`` (and at most ``upto``), in order."""
        end = f"{upto}-1" if upto is not None else "+"
        rows = await self.client.xrange(redis_keys.transcript_key(session_id), f"{seq + 1}-0", end)
        return [
            TranscriptEntry.from_json(_seq_of(row_id), fields[b"entry"]) for row_id, fields in rows
        ]

    async def page_before(
        self, session_id: str, before_seq: int | None, limit: int
    ) -> tuple[list[TranscriptEntry], bool]:
        """Up to ``limit`` entries before ``before_seq`` (or the newest), oldest first,
        and whether there are older ones."""
        end = f"{before_seq - 1}-1" if before_seq is not None else "+"
        if before_seq is not None and before_seq <= 1:
            return [], False
        rows = await self.client.xrevrange(
            redis_keys.transcript_key(session_id), end, "-", count=limit + 1
        )
        has_more = len(rows) > limit
        entries = [_entry(row_id, fields) for row_id, fields in reversed(rows[:limit])]
        return entries, has_more

    async def all(self, session_id: str) -> list[TranscriptEntry]:
        return await self.after(session_id, 0)


async def publish_live(
    client: redis.Redis,
    session_id: str,
    event: str,
    payload: dict[str, Any],
    audience: Literal["visitor", "agents"] = "visitor",
) -> None:
    """An event of a conversation that is not part of its transcript (typing), to every
    gateway, on the same channel as the entries. ``audience`` "visitor" reaches the
    visitor's sockets; "agents" the consoles of the people following the conversation."""
    message = {
        "type": "live",
        "session_id": session_id,
        "event": event,
        "payload": payload,
        "audience": audience,
    }
    await client.publish(redis_keys.CONVERSATION_EVENTS_CHANNEL, json.dumps(message))
