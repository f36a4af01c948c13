"""A visitor's typing state on its way to the agents: few messages, the right last state.

Every gateway reads the one pub/sub channel typing goes out on, so a client alternating
true/false as fast as it can must not become as many messages. The relay of a socket
passes a state on at once if nothing was passed on for ``interval`` seconds; otherwise
it remembers the latest state and passes it on when the interval ends (if it differs
from what the agents last saw). A repeat of the state last passed on is dropped for a
second (the widget repeats ``true`` while the visitor types).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis

logger = logging.getLogger(__name__)

TYPING_REPEAT_SECONDS = 1.0
"""A client repeating the same typing state faster than this is not passed on each time."""


class TypingRelay:
    """Passes one socket's typing state on: at most once per ``interval``, latest wins."""

    def __init__(self, interval: float, publish: Callable[[bool], Awaitable[None]]) -> None:
        self.interval = interval
        self._publish = publish
        self._told: tuple[bool, float] = (False, float("-inf"))
        """The last state passed on, and when (monotonic seconds)."""
        self._wanted = False
        self._flush: asyncio.Task[None] | None = None

    async def offer(self, typing: bool) -> None:
        self._wanted = typing
        told, told_at = self._told
        now = time.monotonic()
        if told == typing and now - told_at < TYPING_REPEAT_SECONDS:
            return
        wait = told_at + self.interval - now
        if wait <= 0:
            await self._tell(typing)
        elif self._flush is None:
            self._flush = asyncio.create_task(self._flush_after(wait))

    async def _flush_after(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._flush = None
        if self._wanted != self._told[0]:
            try:
                await self._tell(self._wanted)
            except redis.RedisError:  # nobody to tell: the agents miss one typing change
                logger.warning("typing_relay.lost")

    async def _tell(self, typing: bool) -> None:
        self._told = (typing, time.monotonic())
        await self._publish(typing)

    def close(self) -> None:
        """The socket is gone: a pending state is not passed on."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    async def settled(self) -> None:
        """Until a pending state has been passed on (for tests and shutdown)."""
        if self._flush is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush
