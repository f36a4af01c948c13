"""A website visitor for the end-to-end tests: a python-socketio client on the Rasa protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio


class Visitor:
    """Connects like the widget does, sends messages and collects the bot's replies."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id = ""
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._confirmed: asyncio.Future[str] | None = None

    async def connect(self) -> str:
        self._confirmed = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", self._on_session_confirm)
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("error", self.errors.put)
        await self.client.connect(self.url, transports=["websocket"])
        await self.client.emit("session_request", {"session_id": None})
        self.session_id = await asyncio.wait_for(self._confirmed, timeout=10)
        return self.session_id

    async def _on_session_confirm(self, session_id: Any) -> None:
        if self._confirmed is not None and not self._confirmed.done():
            self._confirmed.set_result(str(session_id))

    async def send(self, payload: Any) -> None:
        await self.client.emit("user_uttered", payload)

    async def say(self, text: str, timeout: float = 30.0, quiet: float = 1.5) -> list[str]:
        """Send a message; return the texts of the replies, in order.

        Waits up to ``timeout`` for the first reply, then until no reply has come
        for ``quiet`` seconds.
        """
        await self.send({"message": text, "session_id": self.session_id})
        return await self.collect(timeout, quiet)

    async def collect(self, timeout: float = 30.0, quiet: float = 1.5) -> list[str]:
        texts: list[str] = []
        wait = timeout
        while True:
            try:
                reply = await asyncio.wait_for(self.replies.get(), timeout=wait)
            except asyncio.TimeoutError:
                return texts
            texts.append(str(reply.get("text", "")))
            wait = quiet

    async def close(self) -> None:
        await self.client.disconnect()


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
