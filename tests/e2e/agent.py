"""An agent for the end-to-end tests: the agent API over HTTP (cookie + CSRF header, as
a browser console sends them) and the ``/agents`` socket.io namespace."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio

AGENT_SOCKET_EVENTS = (
    "queue", "entry", "chat_assigned", "chat_released", "visitor_typing", "note_added",
    "agent_presence", "queue_flood",
)  # fmt: skip

DEMO_PASSWORDS = {"maria": "maria-demo-pass", "tom": "tom-demo-pass", "priya": "priya-demo-pass"}


class AgentClient:
    """One logged-in console (its own cookie jar)."""

    def __init__(self, gateway_url: str, source: str | None = None) -> None:
        self.url = gateway_url
        self.source = source
        """The client address this console claims (X-Forwarded-For; the e2e stack trusts
        127.0.0.1 as a proxy), or None for the test's own."""
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""
        self.agent_id = ""
        self.socket: socketio.AsyncClient | None = None
        self.received: list[tuple[str, Any]] = []
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def login(self, agent_id: str, password: str | None = None) -> dict[str, Any]:
        status, body = await self.call(
            "POST",
            "/api/agent/login",
            {"agent_id": agent_id, "password": password or DEMO_PASSWORDS[agent_id]},
        )
        assert status == 200, body
        self.csrf = body["csrf_token"]
        self.agent_id = agent_id
        return body

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = dict(headers or {})
        if self.source:
            sent.setdefault("X-Forwarded-For", self.source)
        if csrf and self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        async with self.http.request(method, f"{self.url}{path}", json=body, headers=sent) as reply:
            try:
                payload = await reply.json(content_type=None)
            except ValueError:
                payload = await reply.text()
            return reply.status, payload

    def cookie_header(self) -> str:
        cookies = self.http.cookie_jar.filter_cookies(self.url)
        return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())

    async def connect_socket(self, url: str | None = None) -> dict[str, Any]:
        """Open the console's socket (on ``url``, another gateway, if given); the sync."""
        self.socket = socketio.AsyncClient(reconnection=False)
        for event in AGENT_SOCKET_EVENTS:
            self.socket.on(event, self._recorder(event), namespace="/agents")
        await self.socket.connect(
            url or self.url,
            transports=["websocket"],
            namespaces=["/agents"],
            headers={"Cookie": self.cookie_header()},
        )
        return await self.socket.call("sync", {}, namespace="/agents", timeout=10)

    def _recorder(self, event: str) -> Any:
        async def record(data: Any = None) -> None:
            self.received.append((event, data))
            await self.events.put((event, data))

        return record

    async def next_event(self, name: str, timeout: float = 10.0, **matching: Any) -> Any:
        """The next socket event called ``name`` whose payload has the ``matching`` fields."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event, data = await asyncio.wait_for(self.events.get(), max(0, deadline - loop.time()))
            if event == name and all(data.get(k) == v for k, v in matching.items()):
                return data

    async def close(self) -> None:
        if self.socket is not None and self.socket.connected:
            await self.socket.disconnect()
        await self.http.close()
