"""The gateway has at most a few messages with Rasa at once; the rest wait their turn
in order (a real HTTP server on loopback stands in for Rasa's gateway channel)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.gateway.rasa_client import WEBHOOK_PATH, RasaChannelClient
from bot.gateway.settings import GatewaySettings, GatewaySettingsError
from bot.inbox import InboxMessage

SECRET = "a-channel-secret-of-some-length"


async def fake_rasa(log: dict[str, list[int] | int]) -> tuple[web.AppRunner, str]:
    """Answers after 30 ms, recording how many requests it held at once and the order
    in which they arrived."""
    holding = 0

    async def webhook(request: web.Request) -> web.Response:
        nonlocal holding
        body = await request.json()
        holding += 1
        log["peak"] = max(int(log["peak"]), holding)  # type: ignore[arg-type]
        log["arrivals"].append(int(body["text"]))  # type: ignore[union-attr]
        await asyncio.sleep(0.03)
        holding -= 1
        return web.json_response({"status": "done", "replies": [{"text": body["text"]}]})

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def test_no_more_than_the_limit_reach_rasa_and_the_rest_go_in_order() -> None:
    async def scenario() -> tuple[dict[str, list[int] | int], list[str]]:
        log: dict[str, list[int] | int] = {"peak": 0, "arrivals": []}
        runner, url = await fake_rasa(log)
        client = RasaChannelClient(url, SECRET, timeout_seconds=5, max_in_flight=3)
        try:
            sends = []
            for number in range(12):
                message = InboxMessage(f"m{number}", str(number))
                sends.append(asyncio.create_task(client.send(f"s{number}", message)))
                await asyncio.sleep(0)  # queued in this order
            answers = await asyncio.gather(*sends)
        finally:
            await client.close()
            await runner.cleanup()
        return log, [answer.replies[0]["text"] for answer in answers]

    log, replies = asyncio.run(scenario())
    assert log["peak"] == 3
    assert replies == [str(number) for number in range(12)]  # nothing lost or mixed up
    arrivals = log["arrivals"]
    assert isinstance(arrivals, list)
    # Three at a time, first come first served: each group of three arrives before
    # any of the next.
    assert [sorted(arrivals[i : i + 3]) for i in range(0, 12, 3)] == [
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11],
    ]  # fmt: skip


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CHANNEL_SECRET", SECRET)
    monkeypatch.setenv("GATEWAY_SESSION_SECRET", SECRET)
    assert GatewaySettings.from_environment().rasa_max_in_flight == 8
    monkeypatch.setenv("GATEWAY_RASA_MAX_IN_FLIGHT", "2")
    assert GatewaySettings.from_environment().rasa_max_in_flight == 2
    for value in ("0", "many", "-3"):
        monkeypatch.setenv("GATEWAY_RASA_MAX_IN_FLIGHT", value)
        with pytest.raises(GatewaySettingsError, match="GATEWAY_RASA_MAX_IN_FLIGHT="):
            GatewaySettings.from_environment()
