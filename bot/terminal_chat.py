"""``make shell``: talk to the running bot from a terminal, through the visitor channel.

It speaks the same socket.io protocol as the website widget, so what you see
here is what a visitor gets (slash guard and size limit included).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import socketio

REPLY_QUIET_SECONDS = 1.5
"""After the last reply, wait this long for more before prompting again."""


async def chat(url: str) -> int:
    client = socketio.AsyncClient(reconnection=False)
    session: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @client.on("session_confirm")
    async def on_session_confirm(session_id: Any) -> None:
        if not session.done():
            session.set_result(str(session_id))

    @client.on("bot_uttered")
    async def on_bot_uttered(message: dict[str, Any]) -> None:
        await replies.put(message)

    try:
        await client.connect(url, transports=["websocket"], socketio_path="/socket.io")
    except socketio.exceptions.ConnectionError:
        if client.eio.http is not None:  # the engine.io client leaves its HTTP session open
            await client.eio.http.close()
        print(f"error: no bot answers at {url}: start it with `make run` first.", file=sys.stderr)
        return 1
    await client.emit("session_request", {"session_id": None})
    session_id = await asyncio.wait_for(session, timeout=10)
    print(f"Connected (conversation {session_id}). Type a message; Ctrl-D or /quit ends.\n")
    loop = asyncio.get_running_loop()
    try:
        while True:
            text = await loop.run_in_executor(None, _read_line)
            if text is None or text.strip() == "/quit":
                break
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            await _print_replies(replies, first_timeout=30)
    finally:
        await client.disconnect()
    return 0


def _read_line() -> str | None:
    try:
        return input("you > ")
    except EOFError:
        return None


async def _print_replies(replies: asyncio.Queue[dict[str, Any]], first_timeout: float) -> None:
    timeout = first_timeout
    while True:
        try:
            message = await asyncio.wait_for(replies.get(), timeout=timeout)
        except asyncio.TimeoutError:
            return
        print(f"bot > {message.get('text', '')}")
        for button in message.get("quick_replies") or message.get("buttons") or []:
            print(f"      [{button.get('title')}]")
        timeout = REPLY_QUIET_SECONDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the running bot.")
    default_url = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
    parser.add_argument("--url", default=default_url, help=f"the bot's URL (default {default_url})")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(chat(args.url))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
