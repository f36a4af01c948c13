"""Closed-loop visitors in a process of their own, until stopped: the load that
``bench.handoff_phase`` measures relays under. A separate process, so the visitors'
own event handling never delays the event loop that times the relays.

``python -m bench.background_load URL VISITORS REPLIES_PER_MESSAGE`` (the replies as
``1,2,2,1,1,1``) runs until SIGTERM or SIGINT, then prints its figures as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from dataclasses import asdict

from bench.visitors import run_load


async def main(url: str, visitors: int, replies_per_message: list[int]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print("started", flush=True)
    result = await run_load("gateway", url, visitors, 0, replies_per_message, until=stop)
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    url, visitors, replies = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    asyncio.run(main(url, visitors, [int(count) for count in replies.split(",")]))
