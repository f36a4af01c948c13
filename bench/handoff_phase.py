"""Ours only: handoff and relay latency with ten agents online, relays while 20
visitors keep the bot busy.

The ten bench agents (``bench01`` … ``bench10``, password ``<id>-demo-pass``) come from
a roster written for the run (``AGENTS_FILE``), their skills spread so that every
complaint category has several. Each logs in over HTTP and holds an ``/agents``
console socket. Handoffs and relays are measured one at a time with
``bench.handoff_latency``'s steps, while ``bench.visitors`` runs 20 closed-loop
visitors through the complaint script until the measurements are done.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.handoff_latency import (
    HANDOFF_FIELDS,
    AgentConsole,
    BenchError,
    measure_handoffs,
    measure_relays,
)
from bench.visitors import LoadResult
from bot.agents.roster import hash_password
from bot.stack import ROOT

AGENT_COUNT = 10
TEAMS = (
    ("billing", ["billing", "refund"]),
    ("delivery", ["late_delivery", "damaged_item", "wrong_item"]),
    ("accounts", ["account_access", "service"]),
)


def agent_ids(count: int = AGENT_COUNT) -> list[str]:
    return [f"bench{number:02d}" for number in range(1, count + 1)]


def write_roster(path: Path, count: int = AGENT_COUNT) -> Path:
    """A roster of ``count`` agents (bcrypt hashes of ``<id>-demo-pass``)."""
    lines = ["agents:"]
    for number, agent_id in enumerate(agent_ids(count)):
        team, skills = TEAMS[number % len(TEAMS)]
        lines += [
            f"  {agent_id}:",
            f"    name: Bench Agent {number + 1}",
            f"    team: {team}",
            f"    skills: [{', '.join(skills)}]",
            "    max_chats: 5",
            f'    password_hash: "{hash_password(f"{agent_id}-demo-pass")}"',
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


async def start_background_load(
    url: str, visitors: int, replies_per_step: list[int]
) -> asyncio.subprocess.Process:
    """``bench.background_load`` in its own process, once its visitors have begun."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.background_load", url, str(visitors),
        ",".join(str(count) for count in replies_per_step),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    await process.stdout.readline()  # "started"
    await asyncio.sleep(2.0)  # let the load build up
    return process


async def stop_background_load(
    process: asyncio.subprocess.Process | None, visitors: int
) -> LoadResult:
    """Stop it (each visitor finishes its conversation) and read its figures."""
    result = LoadResult(visitors, 0)
    if process is None:
        return result
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    output, _ = await process.communicate()
    lines = output.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        result.failed_conversations.append(f"background load exited with {process.returncode}")
        return result
    return LoadResult(**json.loads(lines[-1]))


async def measure_under_load(
    url: str,
    replies_per_step: list[int],
    handoffs: int,
    relays: int,
    background_visitors: int,
    say: Callable[[str], None],
    agents: int = AGENT_COUNT,
    timeout: float = 60.0,
) -> tuple[dict[str, list[float]], LoadResult]:
    """Handoff and relay timings (ms, by metric) and the background load's figures.

    A handoff's latency includes Rasa answering the trigger message, so under load it
    is mostly the wait for a free Rasa worker: handoffs are measured with the bot idle
    (the target) and again, fewer, under the load (``*_under_load``). Relays do not
    touch Rasa and are measured under the load."""
    consoles: dict[str, AgentConsole] = {}
    background: asyncio.subprocess.Process | None = None
    try:
        say(f"  logging in {agents} agents with a console socket each...")
        for agent_id in agent_ids(agents):
            consoles[agent_id] = AgentConsole(agent_id, url, timeout)
            await consoles[agent_id].login()
            await consoles[agent_id].connect_socket(url)
        say(f"  measuring {handoffs} handoffs, the bot otherwise idle...")
        idle = await measure_handoffs(consoles, url, handoffs, timeout, quiet=True)
        say(f"  {background_visitors} visitors start talking to the bot (own process)...")
        background = await start_background_load(url, background_visitors, replies_per_step)
        loaded_count = max(2, handoffs // 3)
        say(f"  measuring {loaded_count} handoffs under that load...")
        loaded = await measure_handoffs(consoles, url, loaded_count, timeout, quiet=True)
        say(f"  measuring {relays} relay messages each way under that load...")
        relayed = await measure_relays(consoles, url, relays, timeout, quiet=True)
    finally:
        load = await stop_background_load(background, background_visitors)
        for console in consoles.values():
            await console.close()
    if not load.sent:  # the relays were not under load after all
        raise BenchError(f"the background visitors measured nothing: {load.failed_conversations}")
    timings: dict[str, list[Any]] = {}
    for metric, field in HANDOFF_FIELDS.items():
        timings[metric] = [sample[field] for sample in idle]
        timings[f"{metric}_under_load"] = [sample[field] for sample in loaded]
    return timings | relayed, load
