"""What the gateway hop costs: reply latency through the gateway against Rasa directly.

Starts the real stack on free ports, then, for the same complaint-flow messages,
alternates between

- **direct**: POST to Rasa's gateway channel (what the gateway itself does), timed
  until Rasa's answer with every reply is back;
- **gateway**: a socket.io visitor (protocol 1, websocket) sending ``user_uttered``,
  timed until the first ``bot_uttered`` arrives.

Both go through the same Rasa, model, action server and Redis; the difference is
the gateway's own work (socket, session checks, transcript, inbox, pub/sub fan-out).
One visitor at a time, so this is latency, not throughput (that is the benchmark
issue's business). Prints a table and writes ``bench/gateway-hop.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from bench.stats import latency_summary
from bot.embedded_redis import free_port
from bot.gateway.rasa_client import WEBHOOK_PATH
from bot.gateway.settings import ONE_ADDRESS_LOAD
from bot.stack import Stack, StackConfig

SCRIPT = [
    "hello",
    "my kettle from order 48213 arrived smashed",
    "yes, that's right",
    "no, that doesn't work for me",
    "a refund of $20 would be fair",
    "thanks, bye",
]
RESULTS = Path(__file__).resolve().parent / "gateway-hop.json"


async def direct_conversation(config: StackConfig) -> list[float]:
    sender = f"bench-direct-{secrets.token_hex(6)}"
    headers = {"Authorization": f"Bearer {config.channel_secret}"}
    timings = []
    async with aiohttp.ClientSession(headers=headers) as session:
        for number, text in enumerate(SCRIPT):
            body = {"sender_id": sender, "message_id": f"{sender}:{number}", "text": text,
                    "metadata": {"customer_key": f"visitor:{sender}"}}  # fmt: skip
            started = time.perf_counter()
            async with session.post(f"{config.rasa_url}{WEBHOOK_PATH}", json=body) as reply:
                answer = await reply.json()
            timings.append((time.perf_counter() - started) * 1000)
            if reply.status != 200 or not answer["replies"]:
                raise RuntimeError(f"Rasa gave no answer to {text!r}: {answer}")
    return timings


async def gateway_conversation(url: str) -> list[float]:
    client = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    for name in ("session_confirm", "bot_uttered", "typing"):
        client.on(name, _queue_into(events, name))
    await client.connect(url, transports=["websocket"])
    await client.emit("session_request", {"protocol": 1})
    await _next(events, "session_confirm")
    timings = []
    try:
        for number, text in enumerate(SCRIPT):
            started = time.perf_counter()
            await client.emit("user_uttered", {"message": text, "client_message_id": str(number)})
            await _next(events, "bot_uttered")
            timings.append((time.perf_counter() - started) * 1000)
            while True:  # let the turn finish before the next message
                name, data = await _next(events, "typing", "bot_uttered")
                if name == "typing" and data["sender"]["kind"] == "bot" and not data["typing"]:
                    break
    finally:
        await client.disconnect()
    return timings


def _queue_into(events: asyncio.Queue[tuple[str, Any]], name: str) -> Any:
    async def put(data: Any = None) -> None:
        await events.put((name, data))

    return put


async def _next(events: asyncio.Queue[tuple[str, Any]], *names: str) -> tuple[str, Any]:
    while True:
        name, data = await asyncio.wait_for(events.get(), timeout=60)
        if name in names:
            return name, data


async def measure(config: StackConfig, conversations: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"direct": [], "gateway": []}
    await direct_conversation(config)  # warm-up: first inference is slow
    await gateway_conversation(config.gateway_urls[0])
    for number in range(conversations):
        timings["direct"] += await direct_conversation(config)
        timings["gateway"] += await gateway_conversation(config.gateway_urls[0])
        print(f"  conversation {number + 1}/{conversations} done", flush=True)
    return timings


def summary(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    figures = {path: latency_summary(values) for path, values in timings.items()}
    figures["added_by_gateway"] = {
        name: round(figures["gateway"][name] - figures["direct"][name], 1)
        for name in ("p50_ms", "p95_ms")
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=30, help="per path (default 30)")
    args = parser.parse_args(argv)
    config = StackConfig(
        rasa_port=free_port(),
        action_port=free_port(),
        embedded_redis_port=free_port(),
        gateway_ports=(free_port(),),
        state_dir=Path(f"/tmp/gateway-hop-{secrets.token_hex(4)}"),
    )
    stack = Stack(config, report=lambda line: print(line, flush=True))
    os.environ.update(ONE_ADDRESS_LOAD)  # every measured visitor comes from 127.0.0.1
    try:
        stack.start()
        print(f"Measuring {args.conversations} conversations of {len(SCRIPT)} messages "
              "per path, alternating...", flush=True)  # fmt: skip
        figures = summary(asyncio.run(measure(config, args.conversations)))
    finally:
        stack.stop()
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print("\n| path | messages | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for path in ("direct", "gateway"):
        row = figures[path]
        print(f"| {path} | {row['n']} | {row['p50_ms']} | {row['p95_ms']} | "
              f"{row['max_ms']} |")  # fmt: skip
    added = figures["added_by_gateway"]
    print(f"\nThe gateway hop adds {added['p50_ms']} ms at p50 and {added['p95_ms']} ms at p95 "
          f"(written to {RESULTS}).")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
