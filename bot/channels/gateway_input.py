"""The Rasa input channel the gateway talks to: HTTP on loopback with a shared secret.

``POST /webhooks/gateway/webhook`` with ``Authorization: Bearer <secret>`` and
``{"sender_id", "message_id", "text", "metadata"}``; Rasa handles the message and
the answer carries every reply it produced (see docs/protocol.md, last section).
While people own the conversation the gateway sends ``record`` (events to append to
the tracker: the visitor's and agent's messages) instead of text, and for the
hand-back ``record`` (resume) plus an ``action`` to run. A text for a conversation
people own is only recorded, never answered: whatever path it came by
(``/restart``, a new session), the bot stays silent while a human owns the chat.

Each ``message_id`` is handled at most once: the gateway retries after timeouts
and restarts, so the replies are stored in Redis and a retry gets them back
instead of a second run. A retry of a message another live Rasa process is still
on gets 409; one claimed by a process that has died (no heartbeat) is taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import redis_keys
from bot.channels import action_result_check
from bot.chat_ids import chat_id
from bot.gateway.payloads import MAX_MESSAGE_CHARS, SLASH_COMMAND_GUARD
from bot.ownership import BOT, owner_of
from bot.settings import Settings

logger = logging.getLogger(__name__)

HANDLED_TTL_SECONDS = 24 * 3600
CLAIM_TTL_SECONDS = 300
HEARTBEAT_SECONDS = 3
MAX_TEXT_CHARS = MAX_MESSAGE_CHARS + len(SLASH_COMMAND_GUARD)
"""The gateway's limit, plus the guard it may put in front."""
RECORDABLE_EVENTS = ("user", "bot", "resume", "slot")
"""What the gateway may append to a tracker (``pause`` only comes from the handoff action)."""
RUNNABLE_ACTIONS = ("action_resume_after_handoff",)


class GatewayInput(InputChannel):
    """Messages from the gateway in, the bot's collected replies out."""

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        secret = str((credentials or {}).get("secret") or "")
        if len(secret) < 16:
            raise ValueError(
                "credentials.yml: the gateway channel needs `secret` (GATEWAY_CHANNEL_SECRET, "
                "at least 16 characters); `make run` sets it"
            )
        # Rasa builds its channels once at start-up, in the process that calls the
        # action server: from then on its answers are checked with the prebuilt validator.
        action_result_check.install()
        return cls(secret, Settings.from_environment().redis_url)

    def __init__(self, secret: str, redis_url: str) -> None:
        self.secret = secret
        self.redis_url = redis_url
        self._process_id = 0
        self.boot_id = ""
        self._in_flight: set[str] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._redis: redis.Redis | None = None

    def _own_process_state(self) -> None:
        """A fresh boot id, in-flight set, heartbeat and Redis client per process: with
        ``SANIC_WORKERS`` above 1, Sanic forks this object into every worker, and a boot
        id shared by two workers would let one take over a message the other is on."""
        if self._process_id == os.getpid():
            return
        self._process_id = os.getpid()
        self.boot_id = secrets.token_hex(8)
        self._in_flight = set()
        self._heartbeat = None
        self._redis = None

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("gateway_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json({"status": "unauthorised"}, status=401)
            body = request.json if request.body else None
            problem = _body_problem(body)
            if problem:
                return response.json({"status": "bad_request", "detail": problem}, status=400)
            # Shielded: a gateway that gives up or dies must not cut the bot's turn (or
            # the bookkeeping around it) in half; Sanic cancels a handler whose client
            # went away. The answer is stored either way, for the retry.
            rasa_agent = request.app.ctx.agent
            return await asyncio.shield(
                asyncio.create_task(self._handle(body, rasa_agent, on_new_message))
            )

        return webhook

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.encode("utf-8", "surrogateescape"), self.secret.encode()
        )

    async def _handle(
        self,
        body: dict[str, Any],
        rasa_agent: Agent,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        self._own_process_state()
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._keep_heartbeat())
            await asyncio.sleep(0)  # let it start announcing this process
        message_id = body["message_id"]
        if message_id in self._in_flight:  # this process is still on it
            return response.json({"status": "in_progress"}, status=409)
        self._in_flight.add(message_id)
        key = redis_keys.handled_message_key(message_id)
        client = self._client()
        claim = json.dumps({"status": "processing", "boot": self.boot_id})
        try:
            if not await client.set(key, claim, nx=True, ex=CLAIM_TTL_SECONDS):
                earlier = await self._earlier_answer(client, key)
                if earlier is not None:
                    self._in_flight.discard(message_id)
                    return earlier
                await client.set(key, claim, ex=CLAIM_TTL_SECONDS)
        except redis.RedisError:
            self._in_flight.discard(message_id)
            logger.exception("gateway_input.store_unavailable")
            return response.json({"status": "unavailable"}, status=503)
        return await self._process(body, key, rasa_agent, on_new_message)

    async def _process(
        self,
        body: dict[str, Any],
        key: str,
        rasa_agent: Agent,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        client = self._client()
        collector = CollectingOutputChannel()
        sender_id = body["sender_id"]
        metadata = body.get("metadata") or {}
        record = list(body.get("record") or [])
        text = body.get("text")
        try:
            if text is not None and await owner_of(client, sender_id) != BOT:
                logger.info("gateway_input.recorded_only chat=%s", chat_id(sender_id))
                record.append({"event": "user", "text": text, "metadata": metadata})
                text = None
            if record:
                await _append_events(rasa_agent, sender_id, record)
            if body.get("action"):
                await _run_action(rasa_agent, sender_id, body["action"], collector)
            elif text is not None:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender_id,
                        input_channel=self.name(),
                        message_id=body["message_id"],
                        metadata=metadata,
                    )
                )
        except Exception:  # Redis or anything else: the gateway retries
            logger.exception("gateway_input.failed message_id=%s", body["message_id"])
            await _forget(client, key)
            return response.json({"status": "failed"}, status=503)
        finally:
            self._in_flight.discard(body["message_id"])
        replies = [_without_recipient(reply) for reply in collector.messages]
        try:
            done = json.dumps({"status": "done", "replies": replies})
            await client.set(key, done, ex=HANDLED_TTL_SECONDS)
        except redis.RedisError:
            logger.warning("gateway_input.answer_not_stored message_id=%s", body["message_id"])
        return response.json({"status": "done", "replies": replies})

    async def _earlier_answer(self, client: redis.Redis, key: str) -> HTTPResponse | None:
        """The stored answer, 409 while another Rasa process works on it, or ``None``
        when the claim is stale (its process is gone, or it is ours and not in flight)."""
        raw = await client.get(key)
        if raw is None:
            return None
        earlier = json.loads(raw)
        if earlier.get("status") == "done":
            return response.json(earlier)
        if earlier.get("boot") != self.boot_id and await self._claimant_alive(client, earlier):
            return response.json({"status": "in_progress"}, status=409)
        return None

    async def _claimant_alive(self, client: redis.Redis, claim: dict[str, Any]) -> bool:
        boot = claim.get("boot")
        return isinstance(boot, str) and bool(
            await client.exists(redis_keys.rasa_process_key(boot))
        )

    async def _keep_heartbeat(self) -> None:
        """While this Rasa process lives, its boot id is known to be alive."""
        key = redis_keys.rasa_process_key(self.boot_id)
        while True:
            with contextlib.suppress(redis.RedisError):
                await self._client().set(key, "1", ex=HEARTBEAT_SECONDS * 3)
            await asyncio.sleep(HEARTBEAT_SECONDS)


async def _append_events(rasa_agent: Agent, sender_id: str, record: list[dict[str, Any]]) -> None:
    """Append events to the tracker as they are, without predicting anything. A user
    message gets the NLU's reading, as any other would (it is only not answered)."""
    events = [
        await _user_event(rasa_agent, event) if event["event"] == "user" else
        Event.from_parameters(event)
        for event in record
    ]  # fmt: skip
    async with rasa_agent.lock_store.lock(sender_id):
        tracker = await rasa_agent.tracker_store.get_or_create_tracker(sender_id)
        for event in events:
            tracker.update(event)
        await rasa_agent.tracker_store.save(tracker)


async def _user_event(rasa_agent: Agent, event: dict[str, Any]) -> UserUttered:
    text = str(event.get("text") or "")
    parse_data = await rasa_agent.parse_message(text)
    return UserUttered(
        text,
        parse_data.get("intent"),
        parse_data.get("entities", []),
        parse_data,
        input_channel=GatewayInput.name(),
        metadata=event.get("metadata") or {},
    )


async def _run_action(
    rasa_agent: Agent, sender_id: str, action: str, output: CollectingOutputChannel
) -> None:
    """Run one action (the hand-back's), then listen for the visitor again."""
    async with rasa_agent.lock_store.lock(sender_id):
        await rasa_agent.execute_action(sender_id, action, output, None, 1.0)
        tracker = await rasa_agent.tracker_store.get_or_create_tracker(sender_id)
        tracker.update(ActionExecuted("action_listen"))
        await rasa_agent.tracker_store.save(tracker)


async def _forget(client: redis.Redis, key: str) -> None:
    with contextlib.suppress(redis.RedisError):
        await client.delete(key)


def _without_recipient(reply: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in reply.items() if name != "recipient_id"}


def _recordable(record: Any) -> bool:
    return isinstance(record, list) and all(
        isinstance(event, dict) and event.get("event") in RECORDABLE_EVENTS for event in record
    )


def _body_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "expected a JSON object"
    for name in ("sender_id", "message_id"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"'{name}' must be non-empty text"
    record = body.get("record")
    if record is not None and not _recordable(record):
        return f"'record' must be a list of events of types {', '.join(RECORDABLE_EVENTS)}"
    action = body.get("action")
    if action is not None and action not in RUNNABLE_ACTIONS:
        return f"'action' must be one of {', '.join(RUNNABLE_ACTIONS)}"
    if record is None and action is None and "text" not in body:
        return "'text' must be non-empty text"
    if "text" not in body:
        return None
    if not isinstance(body.get("text"), str) or not body["text"]:
        return "'text' must be non-empty text"
    if len(body["text"]) > MAX_TEXT_CHARS:
        return f"'text' is longer than {MAX_TEXT_CHARS} characters"
    if not isinstance(body.get("metadata", {}), dict):
        return "'metadata' must be an object"
    return None
