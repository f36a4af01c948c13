"""A gateway process whose Redis or Rasa is unreachable: clear answers, nothing lost."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import redis.asyncio as redis

from bot import redis_keys
from bot.embedded_redis import free_port
from bot.gateway.forwarder import STILL_HERE_NOTICE
from tests.conftest import ROOT
from tests.e2e.visitor import Visitor


@contextmanager
def gateway_process(redis_url: str, rasa_url: str) -> Iterator[str]:
    """``python -m bot.gateway`` on a free port; yields its URL once it answers HTTP."""
    port = free_port()
    environment = os.environ | {
        "PYTHONPATH": str(ROOT),
        "GATEWAY_PORT": str(port),
        "REDIS_URL": redis_url,
        "RASA_URL": rasa_url,
        "GATEWAY_CHANNEL_SECRET": secrets.token_hex(16),
        "GATEWAY_SESSION_SECRET": secrets.token_hex(16),
        "GATEWAY_SLOW_NOTICE_SECONDS": "2",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.gateway"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/health"):
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the gateway did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        return True  # an answer, if not a happy one
    except OSError:
        return False
    return True


async def test_with_rasa_unreachable_the_visitor_is_told_and_the_message_waits(redis_url):
    nowhere = f"http://127.0.0.1:{free_port()}"
    with gateway_process(redis_url, nowhere) as url:
        visitor = Visitor(url)
        await visitor.connect()
        try:
            await visitor.send({"message": "is anyone there?", "client_message_id": "q"})
            assert (await visitor.next_event("message_ack"))["seq"] == 1
            notice = await visitor.next_event("bot_uttered", timeout=8)
            assert notice["text"] == STILL_HERE_NOTICE
            await asyncio.sleep(3)  # retries go on; the message stays queued
            client = redis.Redis.from_url(redis_url)
            try:
                queued = await client.lrange(redis_keys.inbox_key(visitor.session_id), 0, -1)
            finally:
                await client.close()
            assert len(queued) == 1 and b"is anyone there?" in queued[0]
            notices = [d for e, d in visitor.received if e == "bot_uttered"]
            assert len(notices) == 1  # told once, not on every retry

            async with aiohttp.ClientSession() as session, session.get(f"{url}/health") as reply:
                report = await reply.json()
            assert reply.status == 200
            assert report["status"] == "degraded" and report["rasa"] == {"status": "down"}
        finally:
            await visitor.close()


async def test_with_redis_unreachable_the_visitor_gets_an_error_event_not_silence():
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with gateway_process(nowhere, f"http://127.0.0.1:{free_port()}") as url:
        async with aiohttp.ClientSession() as session, session.get(f"{url}/health") as reply:
            report = await reply.json()
        assert reply.status == 503
        assert report["status"] == "failing" and report["redis"]["status"] == "down"

        visitor = Visitor(url)
        await visitor.client.connect(url, transports=["websocket"])
        try:
            await visitor.client.emit("session_request", {"protocol": 1})
            error = await visitor.next_event("error")
            assert error["error"] == "unavailable"
        finally:
            await visitor.close()
