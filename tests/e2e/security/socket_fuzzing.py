"""What the socket fuzzer needs besides strategies: a visitor that records every event
(including ones the protocol does not name) and notices being disconnected, and a look
at the stack's logs for exceptions written while the fuzzer ran."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import socketio

from bot.stack import Stack

T = TypeVar("T")

NO_ARGUMENT = object()
"""Emit the event with no payload at all."""


class RecordingVisitor:
    """A protocol-1 socket.io client that keeps every event it receives, by any name."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.session_of_event: list[str] = []
        """The session each received event belongs to (the last confirmed before it)."""
        self.disconnects = 0
        self.session_id = ""
        self._confirmed = ""
        self.client.on("*", self._record)
        self.client.on("disconnect", self._disconnected)

    async def _record(self, event: str, data: Any = None, *more: Any) -> None:
        if event == "session_confirm" and isinstance(data, str):
            self._confirmed = data
        self.received.append((event, (data, *more) if more else data))
        self.session_of_event.append(self._confirmed)

    def acks(self) -> dict[tuple[str, str], set[int]]:
        """(session, client_message_id) → the seqs its ``message_ack`` events named."""
        acked: dict[tuple[str, str], set[int]] = {}
        for (event, data), session_id in zip(self.received, self.session_of_event, strict=True):
            if event == "message_ack" and data.get("client_message_id") is not None:
                key = (session_id, data["client_message_id"])
                acked.setdefault(key, set()).add(data["seq"])
        return acked

    def ack_count(self, session_id: str, ref: str) -> int:
        return sum(
            1
            for (event, data), session in zip(self.received, self.session_of_event, strict=True)
            if event == "message_ack"
            and session == session_id
            and data.get("client_message_id") == ref
        )

    async def _disconnected(self) -> None:
        self.disconnects += 1

    async def open(self, session_id: str | None = None, last_seq: int | None = None) -> str:
        """(Re)connect if needed and ask for a session; the id confirmed."""
        if not self.client.connected:
            await self._fully_disconnected()
            await self.client.connect(self.url, transports=["websocket"])
        request: dict[str, Any] = {"session_id": session_id, "protocol": 1}
        if last_seq is not None:
            request["last_seq"] = last_seq
        start = len(self.received)
        await self.client.emit("session_request", request)
        self.session_id = str(await self.wait_for("session_confirm", start))
        await self.wait_for("session_state", start)
        return self.session_id

    async def _fully_disconnected(self, timeout: float = 10.0) -> None:
        """After the server closed the connection, until the client has let go of it too
        (socket.io says "not connected" a moment before engine.io is done)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.client.eio.state != "disconnected":
            if loop.time() > deadline:
                await self.client.eio.disconnect(abort=True)
                return
            await asyncio.sleep(0.01)

    async def emit(self, event: str, payload: Any) -> None:
        if payload is NO_ARGUMENT:
            await self.client.emit(event)
        else:
            await self.client.emit(event, payload)

    async def wait_for(self, event: str, start: int, timeout: float = 20.0) -> Any:
        """The first ``event`` received at or after index ``start``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for name, data in self.received[start:]:
                if name == event:
                    return data
            if loop.time() > deadline:
                raise AssertionError(f"no {event} after {self.received[start:][-5:]}")
            if not self.client.connected:
                raise ConnectionError(f"disconnected while waiting for {event}")
            await asyncio.sleep(0.005)

    async def settle(self) -> bool:
        """Wait until the gateway has handled everything sent so far (it handles a
        socket's events in order, so a history request's answer comes after them);
        False if the gateway closed the connection instead."""
        if not self.client.connected:
            return False
        start = len(self.received)
        try:
            await self.client.emit("history_request", {"limit": 1})
            await self.wait_for("history", start)
        except ConnectionError:
            return False
        except socketio.exceptions.BadNamespaceError:
            return False
        return True

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


EXCEPTION_LINE = re.compile(r"Traceback|\bException\b|\bError\b.*\bunhandled\b", re.IGNORECASE)


class LogWatch:
    """The lines the stack's processes (gateways, Rasa, action server) log from now on."""

    def __init__(self, stack: Stack) -> None:
        self.offsets: dict[Path, int] = {
            process.log_path: _size(process.log_path)
            for process in stack.processes
            if process.name != "redis"
        }

    def new_lines(self) -> dict[str, list[str]]:
        lines: dict[str, list[str]] = {}
        for path, offset in self.offsets.items():
            with path.open("rb") as log:
                log.seek(offset)
                lines[path.name] = log.read().decode(errors="replace").splitlines()
        return lines

    def exception_lines(self) -> dict[str, list[str]]:
        """Per log, the lines that show an exception (a traceback or an 'Exception')."""
        found = {
            name: [line for line in lines if EXCEPTION_LINE.search(line)]
            for name, lines in self.new_lines().items()
        }
        return {name: lines for name, lines in found.items() if lines}


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


class LoopThread:
    """An event loop of our own in a thread: hypothesis runs each example as a plain
    function, which hands its coroutine to this loop (the socket.io client lives here)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


CLOSED = object()
"""What ``call_or_closed`` returns when the server closed the connection instead of
answering (an oversized frame does that, by design)."""


async def call_or_closed(
    client: socketio.AsyncClient, event: str, payload: Any, namespace: str, timeout: float = 20.0
) -> Any:
    """Emit ``event`` and return its acknowledgement, or CLOSED if the connection closes."""
    answers: list[Any] = []

    def answered(*args: Any) -> None:
        answers.append(args[0] if len(args) == 1 else args)

    arguments = () if payload is NO_ARGUMENT else (payload,)
    try:
        await client.emit(event, *arguments, namespace=namespace, callback=answered)
    except socketio.exceptions.BadNamespaceError:
        return CLOSED
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not answers:
        if not client.connected or namespace not in client.namespaces:
            return CLOSED
        if loop.time() > deadline:
            raise AssertionError(f"no answer to {event} within {timeout} s")
        await asyncio.sleep(0.005)
    return answers[0]
