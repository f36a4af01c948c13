"""Simulated website visitors: closed-loop load over socket.io (websocket transport).

Each visitor holds one conversation after another. In a conversation it sends the
script's messages one at a time: send, wait for the reply to that message, pause
(0.3 s), send the next. The reply latency is from just before the emit to the arrival
of the first ``bot_uttered`` that answers the message.

Which ``bot_uttered`` answers which message: Rasa's socket.io channel emits each reply
as the action that says it finishes, so under load the second reply to message 1 can
arrive after message 2 was sent. ``calibrate`` holds one conversation alone and counts
the replies each script step gets; under load, message *k*'s reply is the reply whose
number is one more than the replies expected for the messages before it. A reply
count that drifts from the calibration is reported (``unexpected_replies``), never
silently absorbed.

Two kinds of client speak the two protocols:

- ``rasa``: Rasa's own socket.io channel (``session_request`` with a ``session_id``
  of the client's choosing, ``user_uttered`` ``{message, session_id}``);
- ``gateway``: our gateway, protocol 1 (docs/protocol.md): the gateway issues the
  session id; only replies whose ``sender.kind`` is ``bot`` count (the gateway's
  "still here" line when Rasa is slow is ``system`` and is counted apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import socketio

Protocol = Literal["rasa", "gateway"]

SCRIPT: tuple[str, ...] = (
    "hi there",
    "my kettle from order 48213 arrived smashed",
    "yes, that's right",
    "no, that doesn't work for me",
    "a refund of $20 would be fair",
    "thanks, bye",
)
"""A complaint that is settled by the bot: it never reaches a person."""

PAUSE_SECONDS = 0.3
QUIET_SECONDS = 1.5
"""Calibration: a step's replies are complete after this long without another one."""

_client_message_ids = itertools.count(1)


class VisitorError(RuntimeError):
    """A conversation could not start (connection refused, no session confirmed)."""


class Replies:
    """Arrival times of the replies in one conversation, waited for by number."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.notices = 0
        self._changed = asyncio.Event()

    def add(self, arrived: float) -> None:
        self.arrivals.append(arrived)
        self._changed.set()

    async def wait_for(self, number: int, timeout: float) -> float | None:
        """Arrival time of reply ``number`` (1-based), ``None`` after ``timeout``."""
        deadline = time.perf_counter() + timeout
        while len(self.arrivals) < number:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return self.arrivals[number - 1]

    async def quiet(self, seconds: float, timeout: float) -> None:
        """Until ``seconds`` pass with no new reply (at most ``timeout``)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            seen = len(self.arrivals)
            await asyncio.sleep(seconds)
            if len(self.arrivals) == seen:
                return


class Conversation:
    """One socket.io connection holding one conversation."""

    def __init__(self, protocol: Protocol, url: str, timeout: float) -> None:
        self.protocol = protocol
        self.url = url
        self.timeout = timeout
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies = Replies()
        self.session_id = ""
        """Rasa's channel takes the id the client chooses; the gateway issues its own."""
        self.handed_off = False
        self._confirmed = asyncio.Event()
        self.client.on("bot_uttered", self._on_reply)
        self.client.on("session_confirm", self._on_confirm)
        self.client.on("handoff", self._on_handoff)

    async def _on_handoff(self, data: Any = None) -> None:
        self.handed_off = True

    async def _on_reply(self, data: Any = None) -> None:
        arrived = time.perf_counter()
        sender = data.get("sender") if isinstance(data, dict) else None
        if isinstance(sender, dict) and sender.get("kind") == "system":
            self.replies.notices += 1  # the gateway's "still here" line, not a reply
            return
        self.replies.add(arrived)

    async def _on_confirm(self, data: Any = None) -> None:
        self._confirmed.set()

    async def open(self) -> None:
        try:
            await self.client.connect(
                self.url, transports=["websocket"], wait_timeout=max(1, round(self.timeout))
            )
            if self.protocol == "rasa":
                self.session_id = uuid.uuid4().hex
                await self.client.emit("session_request", {"session_id": self.session_id})
            else:
                await self.client.emit("session_request", {"protocol": 1})
            await asyncio.wait_for(self._confirmed.wait(), self.timeout)
        except (asyncio.TimeoutError, socketio.exceptions.SocketIOError) as error:
            await self.close()
            raise VisitorError(
                f"no session from {self.url}: {type(error).__name__} {error}"
            ) from None

    async def send(self, text: str) -> float:
        """Emit the message; ``time.perf_counter()`` just before."""
        if self.protocol == "rasa":
            body: dict[str, Any] = {"message": text, "session_id": self.session_id}
        else:
            body = {"message": text, "client_message_id": f"b{next(_client_message_ids)}"}
        started = time.perf_counter()
        await self.client.emit("user_uttered", body)
        return started

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.disconnect()


async def calibrate(
    protocol: Protocol, url: str, script: Sequence[str] = SCRIPT, timeout: float = 60.0
) -> list[int]:
    """The number of replies each script step gets, from one conversation held alone."""
    conversation = Conversation(protocol, url, timeout)
    await conversation.open()
    counts: list[int] = []
    try:
        for text in script:
            seen = len(conversation.replies.arrivals)
            await conversation.send(text)
            if await conversation.replies.wait_for(seen + 1, timeout) is None:
                raise VisitorError(f"no reply to {text!r} from {url} within {timeout:g} s")
            await conversation.replies.quiet(QUIET_SECONDS, timeout)
            if conversation.handed_off:
                raise VisitorError(f"{text!r} handed the conversation to a person: the load "
                                   "script must stay with the bot")  # fmt: skip
            counts.append(len(conversation.replies.arrivals) - seen)
    finally:
        await conversation.close()
    return counts


@dataclass
class LoadResult:
    """Everything one load level measured."""

    visitors: int
    conversations_each: int
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    """Messages the visitors set out to send (every message of every conversation)."""
    lost: int = 0
    """Messages with no reply within the timeout, or never sent because the conversation
    could not start or had already lost a message."""
    unexpected_replies: int = 0
    """Conversations whose reply count differed from the calibration."""
    slow_notices: int = 0
    failed_conversations: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def messages_per_second(self) -> float:
        answered = self.sent - self.lost
        return answered / self.wall_seconds if self.wall_seconds else 0.0


async def hold_conversation(
    protocol: Protocol,
    url: str,
    script: Sequence[str],
    replies_per_step: Sequence[int],
    result: LoadResult,
    timeout: float,
    pause: float = PAUSE_SECONDS,
) -> None:
    """One conversation, closed loop, its figures added to ``result``. A message that
    gets no reply ends the conversation: it and the script's rest count as lost."""
    result.sent += len(script)
    conversation = Conversation(protocol, url, timeout)
    try:
        await conversation.open()
    except VisitorError as error:
        result.lost += len(script)
        result.failed_conversations.append(str(error))
        return
    try:
        expected_before = 0
        for step, text in enumerate(script):
            try:
                started = await conversation.send(text)
            except socketio.exceptions.SocketIOError as error:
                problem = f"sending {text!r} failed: {error}"
                arrived = None
            else:
                problem = f"no reply to {text!r} (step {step + 1}) within {timeout:g} s"
                arrived = await conversation.replies.wait_for(expected_before + 1, timeout)
            if arrived is None:
                result.lost += len(script) - step
                result.failed_conversations.append(problem)
                return
            result.latencies_ms.append((arrived - started) * 1000)
            expected_before += replies_per_step[step]
            await asyncio.sleep(pause)
        complete = await conversation.replies.wait_for(expected_before, timeout) is not None
        if not complete or len(conversation.replies.arrivals) != expected_before:
            result.unexpected_replies += 1
    finally:
        result.slow_notices += conversation.replies.notices
        await conversation.close()


async def run_load(
    protocol: Protocol,
    url: str,
    visitors: int,
    conversations_each: int,
    replies_per_step: Sequence[int],
    script: Sequence[str] = SCRIPT,
    timeout: float = 60.0,
    progress: Callable[[str], None] | None = None,
    until: asyncio.Event | None = None,
) -> LoadResult:
    """``visitors`` concurrent visitors, each holding ``conversations_each`` conversations
    one after another (with ``until``: conversations until that event is set, each
    finished). Starts are spread over the first pause so they do not all land in the
    same millisecond."""
    result = LoadResult(visitors, conversations_each)
    done = 0
    total = visitors * conversations_each

    def more(held: int) -> bool:
        return not until.is_set() if until is not None else held < conversations_each

    async def visitor(number: int) -> None:
        nonlocal done
        await asyncio.sleep(PAUSE_SECONDS * number / visitors)
        held = 0
        while more(held):
            await hold_conversation(protocol, url, script, replies_per_step, result, timeout)
            held += 1
            done += 1
            if progress and total and (done % max(1, total // 5) == 0 or done == total):
                progress(f"    {done}/{total} conversations done")

    started = time.perf_counter()
    await asyncio.gather(*(visitor(number) for number in range(visitors)))
    result.wall_seconds = time.perf_counter() - started
    return result
