"""Getting every transcript entry to every socket of its conversation, once, in order.

Each gateway process subscribes to one Redis pub/sub channel. Appending to a
transcript publishes the entry (bot/transcript.py), so whichever process holds a
visitor's socket hears it. Pub/sub is only the fast path: each socket remembers
the last number it was sent, and a gap (a missed publish, a reconnect to Redis)
is filled from the transcript stream before anything newer is sent. A resuming
client is registered first and then caught up under the same lock, so an entry
arriving meanwhile is neither lost nor sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import redis.asyncio as redis
from socketio import AsyncServer

from bot import redis_keys
from bot.gateway.events import entry_event, for_rasa_client
from bot.transcript import Transcript, TranscriptEntry, publish_live

logger = logging.getLogger(__name__)


class SocketDelivery:
    """What one socket of a conversation has been sent."""

    def __init__(
        self,
        sio: AsyncServer,
        sid: str,
        session_id: str,
        last_seq: int,
        transcript: Transcript,
        speaks_protocol: bool = True,
    ) -> None:
        self.speaks_protocol = speaks_protocol
        """Rasa's clients (rasa-webchat) ignore ``handoff`` events: they also get the line
        as a message from ``system``."""
        self.sio = sio
        self.sid = sid
        self.session_id = session_id
        self.last_seq = last_seq
        self.transcript = transcript
        self.lock = asyncio.Lock()

    async def deliver(self, entry: TranscriptEntry) -> None:
        async with self.lock:
            if entry.seq <= self.last_seq:
                return
            if entry.seq == self.last_seq + 1:
                missing = [entry]
            else:
                missing = await self.transcript.after(self.session_id, self.last_seq, entry.seq)
            await self._send(missing)

    async def open(self, first: list[tuple[str, Any]]) -> None:
        """Send ``first`` (session_confirm, session_state), then every entry after
        ``last_seq``; entries published meanwhile wait for the lock, so none comes first."""
        async with self.lock:
            for event, payload in first:
                await self.sio.emit(event, payload, to=self.sid)
            await self._send_missed()

    async def catch_up(self) -> None:
        """Send every entry after the last one sent (after a lost Redis subscription)."""
        async with self.lock:
            await self._send_missed()

    async def send_live(self, event: str, payload: dict[str, Any]) -> None:
        async with self.lock:
            await self.sio.emit(event, payload, to=self.sid)

    async def _send_missed(self) -> None:
        await self._send(await self.transcript.after(self.session_id, self.last_seq))

    async def _send(self, entries: list[TranscriptEntry]) -> None:
        for entry in entries:
            event, payload = entry_event(entry)
            if event == "bot_uttered" and not self.speaks_protocol:
                payload = for_rasa_client(payload)
            await self.sio.emit(event, payload, to=self.sid)
            if event == "handoff" and not self.speaks_protocol and payload.get("text"):
                await self.sio.emit("bot_uttered", {"text": payload["text"]}, to=self.sid)
            self.last_seq = entry.seq


class ConversationFanout:
    """This process's sockets by conversation, fed from the Redis pub/sub channel."""

    def __init__(self, client: redis.Redis, transcript: Transcript) -> None:
        self.client = client
        self.transcript = transcript
        self.deliveries: dict[str, dict[str, SocketDelivery]] = {}
        self.subscribed = asyncio.Event()
        self.observers: list[Callable[[str, dict[str, Any]], Awaitable[None]]] = []
        """Called with (channel, message) for every message on either channel: the
        agents' sockets follow conversations and the queue this way."""

    def add(self, delivery: SocketDelivery) -> None:
        self.deliveries.setdefault(delivery.session_id, {})[delivery.sid] = delivery

    def remove(self, session_id: str, sid: str) -> None:
        sockets = self.deliveries.get(session_id, {})
        sockets.pop(sid, None)
        if not sockets:
            self.deliveries.pop(session_id, None)

    async def publish_live(
        self,
        session_id: str,
        event: str,
        payload: dict[str, Any],
        audience: Literal["visitor", "agents"] = "visitor",
    ) -> None:
        await publish_live(self.client, session_id, event, payload, audience)

    async def run(self) -> None:
        """Listen until cancelled; after a lost Redis connection, catch every socket up."""
        backoff = 0.2
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.subscribed.clear()
                logger.warning("fanout.subscription_lost retry_in=%.1fs", backoff, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue

    async def _listen(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(
                redis_keys.CONVERSATION_EVENTS_CHANNEL, redis_keys.AGENT_EVENTS_CHANNEL
            )
            self.subscribed.set()
            await self._catch_up_everyone()
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is not None:
                    await self._dispatch(message["channel"], message["data"])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.close()

    async def _catch_up_everyone(self) -> None:
        for sockets in list(self.deliveries.values()):
            for delivery in list(sockets.values()):
                await delivery.catch_up()

    async def _dispatch(self, channel: bytes, raw: bytes) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            message = json.loads(raw)
        except ValueError:
            logger.error("fanout.malformed_message channel=%s", name)
            return
        for observer in self.observers:
            try:
                await observer(name, message)
            except Exception:  # one observer's failure must not stop the listener
                logger.exception("fanout.observer_failed channel=%s", name)
        if name == redis_keys.CONVERSATION_EVENTS_CHANNEL:
            await self._deliver_to_visitors(message)

    async def _deliver_to_visitors(self, message: dict[str, Any]) -> None:
        try:
            sockets = self.deliveries.get(message["session_id"])
            if not sockets:
                return
            if message["type"] == "entry":
                entry = TranscriptEntry.from_fields(int(message["seq"]), message["entry"])
                for delivery in list(sockets.values()):
                    await delivery.deliver(entry)
            elif message["type"] == "live" and message.get("audience") == "visitor":
                for delivery in list(sockets.values()):
                    await delivery.send_live(message["event"], message["payload"])
        except Exception:  # one bad message must not stop the listener
            logger.exception("fanout.dispatch_failed")
