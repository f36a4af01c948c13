"""The gateway's side of the Rasa ``gateway`` channel (bot/channels/gateway_input.py)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from bot.inbox import InboxMessage

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/gateway/webhook"
RESUME_ACTION = "action_resume_after_handoff"


def channel_body(sender_id: str, message: InboxMessage) -> dict[str, Any]:
    """What the Rasa channel receives for a piece of inbox work (docs/protocol.md, last
    section): a message to answer, events to record, or events then an action to run."""
    body: dict[str, Any] = {"sender_id": sender_id, "message_id": message.message_id}
    if message.mode == "ask":
        return body | {"text": message.text, "metadata": message.metadata}
    if message.mode == "record_visitor":
        return body | {"record": [{"event": "user", "text": message.text,
                                   "metadata": message.metadata}]}  # fmt: skip
    if message.mode == "record_agent":
        return body | {"record": [{"event": "bot", "text": message.text,
                                   "metadata": message.metadata}]}  # fmt: skip
    return body | {
        "record": [
            {"event": "resume"},
            {"event": "slot", "name": "resume_point", "value": message.text},
        ],
        "action": RESUME_ACTION,
        "metadata": message.metadata,
    }


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, restarting, timed out, failed): try again later."""


@dataclass(frozen=True)
class RasaAnswer:
    status: Literal["done", "in_progress", "rejected"]
    replies: list[dict[str, Any]] = field(default_factory=list)


class RasaChannelClient:
    """Posts one visitor message to Rasa and returns the bot's replies.

    At most ``max_in_flight`` messages are with Rasa at once; the rest wait their turn
    here, first come first served (``asyncio.Semaphore`` wakes waiters in order). Rasa
    handles every request it has concurrently, interleaved on its event loop, so
    without a limit a burst makes every message in it as slow as the whole burst;
    with it, each waits for the ones before it only. The wait does not count against
    the timeout, which is for Rasa's own answer."""

    def __init__(
        self, rasa_url: str, secret: str, timeout_seconds: float, max_in_flight: int = 8
    ) -> None:
        self.url = f"{rasa_url}{WEBHOOK_PATH}"
        self.health_url = f"{rasa_url}/"
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=3)
        self._session: aiohttp.ClientSession | None = None
        self._turns = asyncio.Semaphore(max_in_flight)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self.secret}"},
            )
        return self._session

    async def send(self, sender_id: str, message: InboxMessage) -> RasaAnswer:
        async with self._turns:
            return await self._send(sender_id, message)

    async def _send(self, sender_id: str, message: InboxMessage) -> RasaAnswer:
        body = channel_body(sender_id, message)
        try:
            async with self._http().post(self.url, json=body) as reply:
                if reply.status == 200:
                    answer = await reply.json()
                    return RasaAnswer("done", list(answer.get("replies") or []))
                if reply.status == 409:
                    return RasaAnswer("in_progress")
                if reply.status == 400:
                    logger.error("rasa_client.rejected detail=%s", await reply.text())
                    return RasaAnswer("rejected")
                if reply.status == 401:
                    logger.error("rasa_client.unauthorised: GATEWAY_CHANNEL_SECRET differs")
                raise RasaUnavailable(f"Rasa answered HTTP {reply.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"{type(error).__name__}: {error}") from error

    async def healthy(self) -> bool:
        try:
            async with self._http().get(
                self.health_url, timeout=aiohttp.ClientTimeout(total=2)
            ) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
