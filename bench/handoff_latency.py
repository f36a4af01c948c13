"""How fast the handoff reaches a person, and how fast messages then travel both ways.

Starts the real stack on free ports (Redis, action server, Rasa, two gateways), logs
in the three demo agents (maria, tom, priya) with a connected ``/agents`` console each
on gateway 2, and brings visitors to them from gateway 1, so every event crosses
processes through Redis. It measures:

- **handoff**: the visitor sends the trigger ("I want to talk to a person", after a
  confirmed complaint) → the routed agent's console gets the ``queue`` event listing
  the conversation (the "agent event"); also trigger → the visitor's ``handoff``
  ``queued``. Each chat is then claimed and closed, so agents keep their capacity.
  The complaints rotate through billing, delivery and account, so all three agents
  are routed to.
- **agent → visitor**: from just before ``POST /api/agent/chats/<sid>/messages`` to
  the visitor's ``bot_uttered`` with ``sender.kind: agent``; and the HTTP call alone.
- **visitor → agent**: the visitor's ``user_uttered`` → the agent's ``entry`` with
  ``event: visitor_uttered`` for that text.

One thing at a time, so this is latency, not throughput. The agents' heartbeat
timeout and grace are raised, and the visitor rate limit lifted, so neither
interferes. Prints a table and writes ``bench/handoff-latency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from bench.stats import latency_summary
from bot.chat_ids import chat_id
from bot.embedded_redis import free_port
from bot.gateway.settings import ONE_ADDRESS_LOAD
from bot.stack import Stack, StackConfig

RESULTS = Path(__file__).resolve().parent / "handoff-latency.json"

AGENTS = ("maria", "tom", "priya")
COMPLAINTS = (
    "I was charged twice for order 61234",  # billing → maria
    "my kettle from order 48213 arrived smashed",  # damaged_item → tom
    "I can't log in to my account",  # account_access → priya
)
CONFIRMATION = "yes"
TRIGGER = "I want to talk to a person"

ENVIRONMENT = {
    # Consoles heartbeat every few seconds anyway; nobody should ever count as gone.
    "AGENT_HEARTBEAT_TIMEOUT_SECONDS": "600",
    "AGENT_OFFLINE_GRACE_SECONDS": "600",
    # The relay phase sends hundreds of visitor messages in one conversation.
    "GATEWAY_RATE_LIMIT": "100000/1",
    # The demo agents maria, tom and priya: only in demo mode (bot/agents/demo.py).
    "DEMO_MODE": "1",
    # Hundreds of visitors from 127.0.0.1, each asking for a person.
    **ONE_ADDRESS_LOAD,
}

VISITOR_EVENTS = (
    "session_confirm", "session_state", "bot_uttered", "visitor_uttered", "message_ack",
    "typing", "handoff", "queue_update", "slow_down", "error",
)  # fmt: skip
AGENT_EVENTS = ("queue", "entry", "chat_assigned", "chat_released", "visitor_typing")
AGENT_NAMESPACE = "/agents"

METRICS = {
    "handoff_to_agent_event": "handoff: trigger → agent console `queue` event",
    "handoff_to_visitor_queued": "handoff: trigger → visitor `handoff` queued",
    "handoff_to_bot_typing": "handoff: trigger → bot `typing` on (forwarder asks Rasa)",
    "relay_agent_to_visitor": "relay agent → visitor: POST → `bot_uttered`",
    "agent_message_http": "agent message POST alone (→ 201)",
    "relay_visitor_to_agent": "relay visitor → agent: `user_uttered` → `entry`",
}

_message_numbers = itertools.count(1)


class BenchError(RuntimeError):
    """Something did not happen in time, or was refused; the message says what."""


def say(line: str) -> None:
    print(line, flush=True)


# Receiving: every event stamped on arrival, waited for by scanning from a mark.

Match = Callable[[str, Any], bool]


class Recorder:
    """Every event a socket received, with ``time.perf_counter()`` at arrival."""

    def __init__(self, label: str, failures: tuple[str, ...] = ()) -> None:
        self.label = label
        self.failures = failures
        self.log: list[tuple[float, str, Any]] = []
        self._changed = asyncio.Event()

    def listen(self, client: socketio.AsyncClient, names: tuple[str, ...], **on: Any) -> None:
        for name in names:
            client.on(name, self._handler(name), **on)

    def _handler(self, name: str) -> Callable[..., Any]:
        async def record(data: Any = None) -> None:
            self.log.append((time.perf_counter(), name, data))
            self._changed.set()

        return record

    def mark(self) -> int:
        return len(self.log)

    async def wait(self, what: str, match: Match, since: int, timeout: float) -> tuple[float, Any]:
        """The arrival time and data of the first event from ``since`` on that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = since
        while True:
            while index < len(self.log):
                arrived, name, data = self.log[index]
                index += 1
                if name in self.failures:
                    raise BenchError(f"{self.label} got `{name}` {data!r} waiting for {what}")
                if match(name, data):
                    return arrived, data
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(name, data) for _, name, data in self.log[since:]][-5:]
                raise BenchError(
                    f"{self.label}: no {what} within {timeout:g} s (last events: {recent!r})"
                )
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)


def handoff_state(state: str) -> Match:
    return lambda name, data: name == "handoff" and data.get("state") == state


def bot_stopped_typing(name: str, data: Any) -> bool:
    return name == "typing" and data["sender"]["kind"] == "bot" and not data["typing"]


# The visitor (protocol 1, websocket) and the agent console (HTTP + /agents socket).


class Visitor:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.client = socketio.AsyncClient(reconnection=False)
        self.events = Recorder("visitor", failures=("error", "slow_down"))
        self.events.listen(self.client, VISITOR_EVENTS)
        self.session_id = ""

    async def connect(self) -> None:
        since = self.events.mark()
        await self.client.connect(self.url, transports=["websocket"])
        await self.client.emit("session_request", {"protocol": 1})
        _, session_id = await self.events.wait(
            "session_confirm", lambda name, _: name == "session_confirm", since, self.timeout
        )
        self.session_id = str(session_id)
        await self.events.wait(
            "session_state", lambda name, _: name == "session_state", since, self.timeout
        )

    async def send(self, text: str) -> float:
        """Emit ``user_uttered``; the ``perf_counter()`` just before."""
        started = time.perf_counter()
        await self.client.emit(
            "user_uttered", {"message": text, "client_message_id": f"b{next(_message_numbers)}"}
        )
        return started

    async def bot_turn(self, text: str) -> None:
        """Say ``text`` and wait until the bot stops typing."""
        since = self.events.mark()
        await self.send(text)
        await self.events.wait(f"the bot's answer to {text!r}", bot_stopped_typing, since,
                               self.timeout)  # fmt: skip

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


class AgentConsole:
    """One logged-in agent: the API over HTTP (cookie + CSRF header, as a browser sends
    them) and the ``/agents`` socket."""

    def __init__(self, agent_id: str, api_url: str, timeout: float) -> None:
        self.agent_id = agent_id
        self.api_url = api_url
        self.timeout = timeout
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=timeout),
        )
        self.csrf = ""
        self.avatar_id = ""
        """The opaque id visitors know this agent by (routing payloads name no login id)."""
        self.socket = socketio.AsyncClient(reconnection=False)
        self.events = Recorder(f"agent {agent_id}")
        self.events.listen(self.socket, AGENT_EVENTS, namespace=AGENT_NAMESPACE)

    async def login(self) -> None:
        password = f"{self.agent_id}-demo-pass"
        status, body, _, _ = await self.call(
            "POST", "/api/agent/login", {"agent_id": self.agent_id, "password": password}
        )
        if status != 200:
            raise BenchError(f"{self.agent_id} could not log in: {status} {body!r}")
        self.csrf = body["csrf_token"]
        avatar_url = str(body["agent"].get("avatar_url") or "")
        self.avatar_id = avatar_url.rsplit("/", 1)[-1].removesuffix(".svg")

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float, float]:
        """(status, payload, perf_counter() just before sending, duration in ms)."""
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        started = time.perf_counter()
        async with self.http.request(
            method, f"{self.api_url}{path}", json=body, headers=headers
        ) as reply:
            try:
                payload = await reply.json(content_type=None)
            except ValueError:
                payload = await reply.text()
            elapsed = (time.perf_counter() - started) * 1000
            return reply.status, payload, started, elapsed

    async def act(self, path: str, expected: int = 200, body: Any = None) -> Any:
        status, payload, _, _ = await self.call("POST", path, body)
        if status != expected:
            raise BenchError(f"{self.agent_id}: POST {path} gave {status} {payload!r}")
        return payload

    async def connect_socket(self, url: str) -> None:
        cookies = self.http.cookie_jar.filter_cookies(self.api_url)
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
        await self.socket.connect(
            url, transports=["websocket"], namespaces=[AGENT_NAMESPACE],
            headers={"Cookie": cookie}, wait_timeout=max(1, round(self.timeout)),
        )  # fmt: skip
        synced = await self.socket.call("sync", {}, namespace=AGENT_NAMESPACE,
                                        timeout=max(1, round(self.timeout)))  # fmt: skip
        if not isinstance(synced, dict) or synced.get("status") != "online":
            raise BenchError(f"{self.agent_id}'s console did not sync as online: {synced!r}")

    async def close(self) -> None:
        if self.socket.connected:
            await self.socket.disconnect()
        await self.http.close()


# One handoff, start to finish.


@dataclass
class Chat:
    """A conversation handed to ``console``'s agent and claimed by them."""

    visitor: Visitor
    console: AgentConsole
    to_agent_event_ms: float
    to_visitor_queued_ms: float
    to_bot_typing_ms: float
    """Until the forwarder started on the trigger: the rest is Rasa and the action."""

    @property
    def session_id(self) -> str:
        return self.visitor.session_id

    @property
    def chat_id(self) -> str:
        """How the agent names the conversation (never by its session id)."""
        return chat_id(self.visitor.session_id)


async def hand_off(
    consoles: dict[str, AgentConsole], url: str, complaint: str, timeout: float
) -> Chat:
    """A new visitor complains, confirms and asks for a person; the routed agent claims
    the chat. The visitor is closed here if anything fails."""
    visitor = Visitor(url, timeout)
    try:
        await visitor.connect()
        await visitor.bot_turn(complaint)
        await visitor.bot_turn(CONFIRMATION)
        marks = {agent_id: console.events.mark() for agent_id, console in consoles.items()}
        since = visitor.events.mark()
        started = await visitor.send(TRIGGER)
        queued_at, queued = await visitor.events.wait(
            "`handoff` queued", handoff_state("queued"), since, timeout
        )
        named = (queued.get("agent") or {}).get("id")
        by_avatar = {console.avatar_id: agent_id for agent_id, console in consoles.items()}
        agent_id = by_avatar.get(named, "")
        if agent_id not in consoles:
            raise BenchError(f"routing named no logged-in agent for {complaint!r}: {queued!r}")
        console = consoles[agent_id]
        chat = chat_id(visitor.session_id)

        def lists_the_chat(name: str, data: Any) -> bool:
            return name == "queue" and any(
                entry.get("chat_id") == chat for entry in data.get("entries", [])
            )

        listed_at, _ = await console.events.wait(
            "`queue` event listing the chat", lists_the_chat, marks[agent_id], timeout
        )
        typing_at, _ = await visitor.events.wait(
            "the bot's `typing` on",
            lambda name, data: (
                name == "typing" and data["sender"]["kind"] == "bot" and data["typing"]
            ),
            since,
            timeout,
        )
        await visitor.events.wait("the end of the bot's turn", bot_stopped_typing, since, timeout)

        since, agent_since = visitor.events.mark(), console.events.mark()
        await console.act(f"/api/agent/chats/{chat}/claim")
        await visitor.events.wait("`handoff` assigned", handoff_state("assigned"), since, timeout)
        await console.events.wait(  # the agent's gateway now follows the chat
            "`chat_assigned`",
            lambda name, data: name == "chat_assigned" and data.get("chat_id") == chat,
            agent_since,
            timeout,
        )
        return Chat(
            visitor=visitor,
            console=console,
            to_agent_event_ms=(listed_at - started) * 1000,
            to_visitor_queued_ms=(queued_at - started) * 1000,
            to_bot_typing_ms=(typing_at - started) * 1000,
        )
    except BaseException:
        await visitor.close()
        raise


async def close_chat(chat: Chat, timeout: float) -> None:
    """The agent closes the chat (freeing a place); the visitor leaves."""
    console, visitor = chat.console, chat.visitor
    try:
        since, agent_since = visitor.events.mark(), console.events.mark()
        await console.act(f"/api/agent/chats/{chat.chat_id}/close")
        await visitor.events.wait("`handoff` closed", handoff_state("closed"), since, timeout)
        await console.events.wait(
            "`chat_released`",
            lambda name, data: name == "chat_released" and data.get("chat_id") == chat.chat_id,
            agent_since,
            timeout,
        )
    finally:
        await visitor.close()


# The measurements.


HANDOFF_FIELDS = {
    "handoff_to_agent_event": "to_agent_event_ms",
    "handoff_to_visitor_queued": "to_visitor_queued_ms",
    "handoff_to_bot_typing": "to_bot_typing_ms",
}


async def measure_handoffs(
    consoles: dict[str, AgentConsole], url: str, count: int, timeout: float, quiet: bool = False
) -> list[dict[str, Any]]:
    """One row per handoff: the agent it went to and its timings (``quiet``: no line
    per handoff)."""
    samples: list[dict[str, Any]] = []
    for number in range(count):
        complaint = COMPLAINTS[number % len(COMPLAINTS)]
        chat = await hand_off(consoles, url, complaint, timeout)
        try:
            sample = {"agent": chat.console.agent_id, "complaint": complaint}
            for field in HANDOFF_FIELDS.values():
                sample[field] = round(getattr(chat, field), 1)
            samples.append(sample)
        finally:
            await close_chat(chat, timeout)
        if quiet:
            continue
        say(f"  handoff {number + 1}/{count} → {sample['agent']}: agent event "
            f"{sample['to_agent_event_ms']} ms, visitor queued "
            f"{sample['to_visitor_queued_ms']} ms (bot typing at "
            f"{sample['to_bot_typing_ms']} ms)")  # fmt: skip
    return samples


async def relay(chat: Chat, number: int, token: str, timeout: float) -> tuple[float, float, float]:
    """One message each way: (agent → visitor ms, the POST's own ms, visitor → agent ms)."""
    visitor, console = chat.visitor, chat.console

    agent_text = f"agent relay {number} {token}"
    since = visitor.events.mark()
    status, body, started, http_ms = await console.call(
        "POST", f"/api/agent/chats/{chat.chat_id}/messages", {"text": agent_text}
    )
    if status != 201:
        raise BenchError(f"the agent's message {number} was refused: {status} {body!r}")
    arrived, _ = await visitor.events.wait(
        f"`bot_uttered` {agent_text!r}",
        lambda name, data: (
            name == "bot_uttered"
            and data.get("text") == agent_text
            and data["sender"]["kind"] == "agent"
        ),
        since,
        timeout,
    )
    to_visitor_ms = (arrived - started) * 1000

    visitor_text = f"visitor relay {number} {token}"
    since = console.events.mark()
    started = await visitor.send(visitor_text)
    arrived, _ = await console.events.wait(
        f"`entry` visitor_uttered {visitor_text!r}",
        lambda name, data: (
            name == "entry"
            and data.get("chat_id") == chat.chat_id
            and data.get("event") == "visitor_uttered"
            and data["data"].get("text") == visitor_text
        ),
        since,
        timeout,
    )
    return to_visitor_ms, http_ms, (arrived - started) * 1000


async def measure_relays(
    consoles: dict[str, AgentConsole], url: str, count: int, timeout: float, quiet: bool = False
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {
        "relay_agent_to_visitor": [], "agent_message_http": [], "relay_visitor_to_agent": [],
    }  # fmt: skip
    token = secrets.token_hex(4)
    chat = await hand_off(consoles, url, COMPLAINTS[0], timeout)
    try:
        for number in range(3):  # warm-up: first messages open connections
            await relay(chat, -number - 1, token, timeout)
        step = max(1, count // 4)
        for number in range(count):
            to_visitor, http_ms, to_agent = await relay(chat, number, token, timeout)
            timings["relay_agent_to_visitor"].append(to_visitor)
            timings["agent_message_http"].append(http_ms)
            timings["relay_visitor_to_agent"].append(to_agent)
            if not quiet and ((number + 1) % step == 0 or number + 1 == count):
                say(f"  relays {number + 1}/{count} each way "
                    f"(with {chat.console.agent_id}, "
                    f"conversation {chat.chat_id[:8]}…)")  # fmt: skip
    finally:
        await close_chat(chat, timeout)
    return timings


async def measure(
    config: StackConfig, handoffs: int, relays: int, timeout: float
) -> dict[str, Any]:
    visitor_url, agent_url = config.gateway_urls
    consoles: dict[str, AgentConsole] = {}
    try:
        say(f"Logging in {', '.join(AGENTS)} (consoles on gateway 2, {agent_url})...")
        for agent_id in AGENTS:
            consoles[agent_id] = AgentConsole(agent_id, agent_url, timeout)
            await consoles[agent_id].login()
            await consoles[agent_id].connect_socket(agent_url)
        say(f"Warm-up: one handoff per agent, not counted (visitors on gateway 1, {visitor_url})")
        for complaint in COMPLAINTS:
            await close_chat(await hand_off(consoles, visitor_url, complaint, timeout), timeout)
        say(f"Measuring {handoffs} handoffs (claimed and closed one by one)...")
        samples = await measure_handoffs(consoles, visitor_url, handoffs, timeout)
        say(f"Measuring {relays} relay messages each way in one handed-off chat...")
        relayed = await measure_relays(consoles, visitor_url, relays, timeout)
    finally:
        for console in consoles.values():
            await console.close()
    timings = {
        metric: [sample[field] for sample in samples] for metric, field in HANDOFF_FIELDS.items()
    }
    routed = Counter(sample["agent"] for sample in samples)
    return {"timings": timings | relayed, "routed": dict(routed), "handoffs": samples}


def summary(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {metric: latency_summary(values) for metric, values in timings.items() if values}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--handoffs", type=int, default=30, help="handoffs measured (default 30)")
    parser.add_argument("--relays", type=int, default=200,
                        help="relay messages each way (default 200)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for any one event (default 60)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.handoffs < 1 or args.relays < 1 or args.timeout <= 0:
        parser.error("--handoffs and --relays must be at least 1, --timeout above 0")
    os.environ.update(ENVIRONMENT)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        embedded_redis_port=free_port(),
        gateway_ports=(free_port(), free_port()),
        state_dir=Path(f"/tmp/handoff-latency-{secrets.token_hex(4)}"),
    )
    stack = Stack(config, report=say)
    try:
        stack.start()
        measured = asyncio.run(measure(config, args.handoffs, args.relays, args.timeout))
    except (
        BenchError,
        asyncio.TimeoutError,
        aiohttp.ClientError,
        socketio.exceptions.SocketIOError,
    ) as error:
        say(f"\nhandoff benchmark failed: {type(error).__name__}: {error} "
            f"(the stack's logs are in {config.log_dir})")  # fmt: skip
        return 1
    finally:
        stack.stop()
    figures = summary(measured["timings"])
    RESULTS.write_text(
        json.dumps(
            {
                "handoffs": args.handoffs,
                "relays_each_way": args.relays,
                "routed_to": measured["routed"],
                "metrics": figures,
                "descriptions": METRICS,
                "handoff_samples": measured["handoffs"],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    say("\n| measurement | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for metric, description in METRICS.items():
        row = figures[metric]
        say(f"| {description} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['max_ms']} |")  # fmt: skip
    routed = ", ".join(f"{agent} {count}" for agent, count in sorted(measured["routed"].items()))
    say(f"\nHandoffs routed to: {routed}. Written to {RESULTS}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
