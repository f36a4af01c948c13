"""``make shell``: talk to the running bot from a terminal, through the gateway.

It speaks the same protocol as the website widget (docs/protocol.md), so what
you see here is what a visitor gets (slash guard, size and rate limits included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import socketio

TURN_TIMEOUT_SECONDS = 60.0
"""How long to wait for the bot's turn to end before prompting again anyway."""

TurnEvent = tuple[str, Any]


async def chat(url: str) -> int:
    client = socketio.AsyncClient(reconnection=False)
    session: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    events: asyncio.Queue[TurnEvent] = asyncio.Queue()

    @client.on("session_confirm")
    async def on_session_confirm(session_id: Any) -> None:
        if not session.done():
            session.set_result(str(session_id))

    for name in ("bot_uttered", "typing", "error", "slow_down"):
        client.on(name, _queue_into(events, name))

    try:
        await client.connect(url, transports=["websocket"], socketio_path="/socket.io")
    except socketio.exceptions.ConnectionError:
        if client.eio.http is not None:  # the engine.io client leaves its HTTP session open
            await client.eio.http.close()
        print(f"error: no bot answers at {url}: start it with `make run` first.", file=sys.stderr)
        return 1
    await client.emit("session_request", {"session_id": None, "protocol": 1})
    session_id = await asyncio.wait_for(session, timeout=10)
    print(f"Connected (conversation {session_id}). Type a message; Ctrl-D or /quit ends.\n")
    loop = asyncio.get_running_loop()
    try:
        while True:
            text = await loop.run_in_executor(None, _read_line)
            if text is None or text.strip() == "/quit":
                break
            await client.emit("user_uttered", {"message": text})
            await _print_turn(events)
    finally:
        await client.disconnect()
    return 0


def _read_line() -> str | None:
    try:
        return input("you > ")
    except EOFError:
        return None


def _queue_into(events: asyncio.Queue[TurnEvent], name: str) -> Any:
    async def put(data: Any = None) -> None:
        await events.put((name, data))

    return put


async def _print_turn(events: asyncio.Queue[TurnEvent]) -> None:
    """Print the bot's messages until it stops typing (or the message was refused)."""
    while True:
        try:
            name, data = await asyncio.wait_for(events.get(), timeout=TURN_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            print("(no answer yet; it will appear when it comes)")
            return
        if name == "bot_uttered":
            speaker = "bot" if data.get("sender", {}).get("kind") != "system" else "system"
            print(f"{speaker} > {data.get('text', '')}")
            for button in data.get("quick_replies") or []:
                print(f"      [{button.get('title')}]")
        elif name == "error":
            print(f"(refused: {data.get('error')}: {data.get('detail')})")
            return
        elif name == "slow_down":
            print(f"(too fast: send it again in {data.get('retry_after_ms', 0) / 1000:.0f} s)")
            return
        elif name == "typing" and data["sender"]["kind"] == "bot" and not data["typing"]:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the running bot.")
    port = os.environ.get("GATEWAY_PORTS", "8000").split(",")[0].strip()
    default_url = f"http://127.0.0.1:{port}"
    parser.add_argument(
        "--url", default=default_url, help=f"the gateway's URL (default {default_url})"
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(chat(args.url))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
