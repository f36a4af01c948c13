"""Rate limit, allowed origins and the health report of the gateways."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import socketio

from tests.e2e.conftest import ALLOWED_ORIGIN
from tests.e2e.visitor import Visitor

pytestmark = pytest.mark.stack


async def test_too_many_messages_get_slow_down_and_nothing_is_dropped_silently(visitor, transcript):
    allowed = visitor.state["limits"]["rate_limit"]["messages"]
    texts = [f"message number {n}" for n in range(1, allowed + 3)]
    for number, text in enumerate(texts, start=1):
        await visitor.send({"message": text, "client_message_id": f"r{number}"})

    acked = [await visitor.next_event("message_ack") for _ in range(allowed)]
    refused = [await visitor.next_event("slow_down") for _ in range(2)]

    assert [ack["client_message_id"] for ack in acked] == [f"r{n}" for n in range(1, allowed + 1)]
    assert [(r["client_message_id"], r["text"]) for r in refused] == [
        (f"r{allowed + 1}", texts[allowed]),
        (f"r{allowed + 2}", texts[allowed + 1]),
    ]
    assert all(0 < r["retry_after_ms"] <= 21_000 for r in refused)
    recorded = [e.text for e in await transcript.all(visitor.session_id) if e.kind == "visitor"]
    assert recorded == texts[:allowed]

    # After the wait the client sends the refused message again and it is taken.
    await asyncio.sleep(refused[0]["retry_after_ms"] / 1000 + 0.2)
    await visitor.send({"message": texts[allowed], "client_message_id": "again"})
    assert (await visitor.next_event("message_ack", timeout=60))["client_message_id"] == "again"


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "http://other-shop.example", None])
async def test_pages_from_allowed_origins_and_non_browser_clients_connect(stack, origin):
    visitor = Visitor(stack.config.gateway_urls[0], headers={"Origin": origin} if origin else {})
    try:
        assert await visitor.connect()
    finally:
        await visitor.close()


@pytest.mark.parametrize("origin", ["http://evil.example", "https://shop.example", "null"])
async def test_pages_from_other_origins_are_refused_at_the_handshake(stack, origin):
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            stack.config.gateway_urls[1], transports=["websocket"], headers={"Origin": origin}
        )
    if client.eio.http is not None:
        await client.eio.http.close()


async def test_health_reports_the_gateway_redis_and_rasa(stack, gateway_urls):
    async with aiohttp.ClientSession() as session:
        for url in gateway_urls:
            async with session.get(f"{url}/health") as reply:
                assert reply.status == 200
                report = await reply.json()
            assert report["status"] == "ok"
            assert report["gateway"]["status"] == "ok"
            assert report["redis"]["status"] == "ok" and report["redis"]["subscribed"] is True
            assert report["rasa"] == {"status": "ok"}
