"""A website visitor for the end-to-end tests: a python-socketio client of the gateway.

By default it speaks protocol 1 (docs/protocol.md) and knows exactly when the
bot's turn is over (the bot's ``typing: false``). With ``protocol=False`` it is a
client of Rasa's protocol only, like rasa-webchat, and waits for a quiet period.
Every event it receives is kept in ``received``, in order, for assertions.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp
import socketio

from bot.chat_ids import anonymous_customer_key, chat_id

SERVER_EVENTS = (
    "session_confirm", "session_state", "bot_uttered", "visitor_uttered", "message_ack",
    "typing", "handoff", "queue_update", "history", "rating_saved", "slow_down", "error",
)  # fmt: skip

_message_numbers = itertools.count(1)


class Visitor:
    """Connects like the widget does, sends messages and collects what comes back."""

    def __init__(
        self, url: str, protocol: bool = True, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        self.protocol = protocol
        self.headers = headers or {}
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id = ""
        self.state: dict[str, Any] = {}
        self.received: list[tuple[str, Any]] = []
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for event in SERVER_EVENTS:
            self.client.on(event, self._recorder(event))

    def _recorder(self, event: str) -> Any:
        async def record(data: Any = None) -> None:
            self.received.append((event, data))
            await self.events.put((event, data))

        return record

    @property
    def customer_key(self) -> str:
        return anonymous_customer_key(self.session_id)

    @property
    def chat_id(self) -> str:
        """How agents name this conversation (never by its session id)."""
        return chat_id(self.session_id)

    @property
    def last_seq(self) -> int:
        """The highest sequence number this visitor has been sent."""
        return max((data["seq"] for _, data in self.received if _has_seq(data)), default=0)

    async def connect(
        self,
        session_id: str | None = None,
        last_seq: int | None = None,
        user: dict[str, str] | None = None,
    ) -> str:
        """Connect and ask for a session; return the session id the server confirmed."""
        if not self.client.connected:
            await self.client.connect(self.url, transports=["websocket"], headers=self.headers)
        request: dict[str, Any] = {"session_id": session_id}
        if self.protocol:
            request["protocol"] = 1
        if last_seq is not None:
            request["last_seq"] = last_seq
        if user is not None:
            request["user"] = user
        await self.client.emit("session_request", request)
        self.session_id = str(await self.next_event("session_confirm"))
        if self.protocol:
            self.state = await self.next_event("session_state")
        return self.session_id

    async def next_event(self, *names: str, timeout: float = 10.0) -> Any:
        """The data of the next event called one of ``names`` (others are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event, data = await asyncio.wait_for(self.events.get(), max(0, deadline - loop.time()))
            if event in names:
                return data

    async def send(self, payload: Any) -> None:
        await self.client.emit("user_uttered", payload)

    async def say(self, text: str, timeout: float = 30.0, quiet: float = 1.5) -> list[str]:
        """Send a message; return the texts of the replies, in order.

        Protocol clients wait for the end of the bot's turn (or an error); Rasa's
        clients wait up to ``timeout`` for a first reply, then ``quiet`` seconds more.
        """
        if not self.protocol:
            await self.send({"message": text, "session_id": self.session_id})
            return await self.collect(timeout, quiet)
        await self.send({"message": text, "client_message_id": f"m{next(_message_numbers)}"})
        return await self.bot_turn(timeout)

    async def bot_turn(self, timeout: float = 30.0) -> list[str]:
        """Texts of ``bot_uttered`` until the bot stops typing ([] after a refusal)."""
        texts: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event, data = await asyncio.wait_for(self.events.get(), max(0, deadline - loop.time()))
            if event == "bot_uttered":
                texts.append(str(data.get("text", "")))
            elif event in ("error", "slow_down") or _bot_stopped_typing(event, data):
                return texts

    async def collect(self, timeout: float = 30.0, quiet: float = 1.5) -> list[str]:
        texts: list[str] = []
        wait = timeout
        while True:
            try:
                event, data = await asyncio.wait_for(self.events.get(), timeout=wait)
            except asyncio.TimeoutError:
                return texts
            if event == "bot_uttered":
                texts.append(str(data.get("text", "")))
                wait = quiet

    async def wait_for_seq(self, seq: int, timeout: float = 15.0) -> None:
        """Until an entry numbered ``seq`` (or later) has arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.last_seq < seq:
            if loop.time() > deadline:
                raise AssertionError(f"entry {seq} never arrived (last seen {self.last_seq})")
            await asyncio.sleep(0.02)

    async def history(self, before_seq: int | None = None, limit: int = 50) -> dict[str, Any]:
        request: dict[str, Any] = {"limit": limit}
        if before_seq is not None:
            request["before_seq"] = before_seq
        await self.client.emit("history_request", request)
        return dict(await self.next_event("history"))

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """The transcript entries received (events with a ``seq``), in arrival order."""
        return [(event, data) for event, data in self.received if _has_seq(data)]

    async def close(self) -> None:
        await self.client.disconnect()


def _bot_stopped_typing(event: str, data: Any) -> bool:
    return event == "typing" and data["sender"]["kind"] == "bot" and not data["typing"]


def _has_seq(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("seq"), int) and "at" in data


class RasaApi:
    """The token-protected Rasa HTTP API, to look at trackers and parses."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/conversations/{sender_id}/tracker")

    async def parse(self, text: str) -> dict[str, Any]:
        return await self._request("POST", "/model/parse", {"text": text})

    async def _request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                method, f"{self.base_url}{path}", params={"token": self.token}, json=body
            ) as response,
        ):
            response.raise_for_status()
            return dict(await response.json())


def user_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in tracker["events"] if event["event"] == "user"]
