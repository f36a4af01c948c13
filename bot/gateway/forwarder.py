"""Visitor messages to Rasa and the bot's replies back, without losing any.

A visitor message is first recorded in the transcript, then queued in the
conversation's inbox in Redis (``inbox:<session>``). One gateway process at a time
(a lease in Redis, renewed while it works) drains a conversation's inbox in
order: it posts the head message to Rasa, records the replies, and only then
removes the message. Rasa down or slow: the visitor is told once, within a few
seconds, and the message is retried until Rasa answers. A gateway that dies
leaves its lease to expire; every gateway sweeps for inboxes nobody drains, so
the other one takes over. Rasa answers a retried message id from its store
instead of running it twice (bot/channels/gateway_input.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import replace
from typing import Any

import redis.asyncio as redis

from bot import redis_keys
from bot.chat_ids import chat_id
from bot.gateway.delivery import ConversationFanout
from bot.gateway.events import BOT_SENDER, SYSTEM_SENDER, offered_quick_replies, reply_entry
from bot.gateway.rasa_client import RasaChannelClient, RasaUnavailable
from bot.inbox import InboxMessage
from bot.ownership import BOT, owner_of
from bot.transcript import Transcript

logger = logging.getLogger(__name__)

LEASE_MILLISECONDS = 10_000
SWEEP_SECONDS = 2.0
RETRY_DELAYS = (0.5, 1.0, 2.0, 3.0, 5.0)

STILL_HERE_NOTICE = (
    "I'm having trouble answering right now, but I'm still here and your message is "
    "saved. I'll reply as soon as I can."
)
NO_REPLY_NOTICE = (
    "I'm sorry, I'm having a technical problem and couldn't answer that. "
    "Your message is saved. Please try again in a moment, or ask for a person."
)
OFFERED_QUICK_REPLIES = "offered_quick_replies"
"""The session field holding the quick replies of the bot's latest turn (JSON), so any
gateway can tell a chosen quick reply from typed text."""
REJECTED_NOTICE = "I'm sorry, I couldn't take that message in. Could you put it another way?"

# KEYS: lease. ARGV: holder, milliseconds.
_RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease. ARGV: holder.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: inbox, pending set. ARGV: the head as read, session id.
_DONE_SCRIPT = """
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LPOP', KEYS[1]) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[2]) end
"""


class BotForwarder:
    """Drains conversations' inboxes into Rasa; one per gateway process."""

    def __init__(
        self,
        client: redis.Redis,
        transcript: Transcript,
        fanout: ConversationFanout,
        rasa: RasaChannelClient,
        slow_notice_seconds: float,
    ) -> None:
        self.client = client
        self.transcript = transcript
        self.fanout = fanout
        self.rasa = rasa
        self.slow_notice_seconds = slow_notice_seconds
        self.holder = secrets.token_hex(8)
        self._draining: dict[str, asyncio.Task[None]] = {}
        self._renew = client.register_script(_RENEW_SCRIPT)
        self._release = client.register_script(_RELEASE_SCRIPT)
        self._done = client.register_script(_DONE_SCRIPT)

    def kick(self, session_id: str) -> None:
        """Drain the conversation's inbox here, unless this process already does."""
        if session_id not in self._draining:
            self._draining[session_id] = asyncio.create_task(self._drain(session_id))

    async def sweep_forever(self) -> None:
        """Pick up inboxes that nobody drains (their gateway died)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                stale = await self.client.zrangebyscore(
                    redis_keys.INBOX_PENDING, "-inf", time.time() - SWEEP_SECONDS
                )
            except redis.RedisError:
                logger.warning("forwarder.sweep_failed", exc_info=True)
                continue
            for session_id in stale:
                self.kick(session_id.decode())

    async def stop(self) -> None:
        for task in list(self._draining.values()):
            task.cancel()
        for task in list(self._draining.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _drain(self, session_id: str) -> None:
        lease = redis_keys.inbox_lease_key(session_id)
        inbox = redis_keys.inbox_key(session_id)
        emptied = False
        try:
            while await self.client.set(lease, self.holder, nx=True, px=LEASE_MILLISECONDS):
                renewer = asyncio.create_task(self._keep_lease(lease))
                try:
                    await self._drain_held(session_id)
                finally:
                    renewer.cancel()
                    await self._release(keys=[lease], args=[self.holder])
                # A message queued while the lease was being given up is ours again.
                if await self.client.llen(inbox) == 0:
                    emptied = True
                    return
        except redis.RedisError:
            logger.warning(
                "forwarder.drain_interrupted chat=%s", chat_id(session_id), exc_info=True
            )
        finally:
            self._draining.pop(session_id, None)
        if emptied:
            await self._kick_if_queued_meanwhile(session_id)

    async def _kick_if_queued_meanwhile(self, session_id: str) -> None:
        """A message queued after the last look at the inbox, whose kick found this task
        still registered, would otherwise wait for the sweeper (2-4 s)."""
        with contextlib.suppress(redis.RedisError):
            if await self.client.llen(redis_keys.inbox_key(session_id)) > 0:
                self.kick(session_id)

    async def _keep_lease(self, lease: str) -> None:
        while True:
            await asyncio.sleep(LEASE_MILLISECONDS / 3000)
            with contextlib.suppress(redis.RedisError):
                await self._renew(keys=[lease], args=[self.holder, LEASE_MILLISECONDS])

    async def _drain_held(self, session_id: str) -> None:
        """Answer inbox messages in order while there are any."""
        inbox = redis_keys.inbox_key(session_id)
        while (raw := await self.client.lindex(inbox, 0)) is not None:
            await self._work_on(session_id, InboxMessage.from_json(raw))
            await self._done(keys=[inbox, redis_keys.INBOX_PENDING], args=[raw, session_id])

    async def _work_on(self, session_id: str, message: InboxMessage) -> None:
        if message.mode == "ask" and await owner_of(self.client, session_id) != BOT:
            # An earlier message in this inbox handed the conversation to people before
            # the bot read this one: they answer it; the tracker still gets it.
            message = replace(message, mode="record_visitor")
        if message.mode in ("record_visitor", "record_agent"):
            await self._record(session_id, message)
        else:
            await self._answer(session_id, message)

    async def _record(self, session_id: str, message: InboxMessage) -> None:
        """Put a message people exchanged into the Rasa tracker (no prediction, no
        notices: the visitor is talking to a person). Retried until Rasa has it."""
        await self._ask_until_answered(session_id, message, tell_visitor=False)

    async def _answer(self, session_id: str, message: InboxMessage) -> None:
        await self.fanout.publish_live(session_id, "typing", {"sender": BOT_SENDER, "typing": True})
        try:
            replies = await self._ask_until_answered(session_id, message)
            if replies is None:
                return
            entries = [reply_entry(reply) for reply in replies]
            bodies = [body for kind, body in entries if kind == "bot"]
            # Known before the visitor can see (and click) them.
            await self.client.hset(
                redis_keys.session_key(session_id),
                OFFERED_QUICK_REPLIES,
                json.dumps(offered_quick_replies(bodies)),
            )
            await self.transcript.append_once(
                session_id, entries, once_key=redis_keys.answered_key(message.message_id)
            )
            if not replies:
                logger.warning("forwarder.no_reply message=%s", message.message_id)
                await self._notice(session_id, NO_REPLY_NOTICE)
        finally:
            with contextlib.suppress(redis.RedisError):
                await self.fanout.publish_live(
                    session_id, "typing", {"sender": BOT_SENDER, "typing": False}
                )

    async def _ask_until_answered(
        self, session_id: str, message: InboxMessage, tell_visitor: bool = True
    ) -> list[dict[str, Any]] | None:
        """Rasa's replies (retrying until it answers), or ``None`` if it refused the message.
        With ``tell_visitor`` the visitor hears when Rasa is slow or refuses."""
        told = not tell_visitor
        attempt = 0
        busy = 0
        while True:
            request = asyncio.create_task(self.rasa.send(session_id, message))
            done, _ = await asyncio.wait({request}, timeout=self.slow_notice_seconds)
            if not done and not told:
                await self._notice(session_id, STILL_HERE_NOTICE)
                told = True
            try:
                answer = await request
            except RasaUnavailable as error:
                logger.warning(
                    "forwarder.rasa_unavailable message=%s attempt=%d error=%s",
                    message.message_id, attempt, error,
                )  # fmt: skip
                if not told:
                    await self._notice(session_id, STILL_HERE_NOTICE)
                    told = True
                await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
                attempt += 1
                continue
            if answer.status == "in_progress":
                if busy % 10 == 0:
                    logger.info("forwarder.rasa_still_on_it message=%s", message.message_id)
                busy += 1
                await asyncio.sleep(1.0)
                continue
            if answer.status == "rejected":
                logger.error("forwarder.rejected message=%s", message.message_id)
                if tell_visitor:
                    await self._notice(session_id, REJECTED_NOTICE)
                return None
            return answer.replies

    async def _notice(self, session_id: str, text: str) -> None:
        await self.transcript.append(session_id, "system", text=text, sender=SYSTEM_SENDER)
