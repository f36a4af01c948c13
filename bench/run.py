"""``make bench``: the product against stock Rasa, side by side, in one run.

1. trains our domain and data twice with ``rasa train`` (full, then with nothing
   changed): with the ``config.yml`` that ``rasa init`` writes (the stock model) and
   with ours;
2. measures both models' NLU on ``bench/nlu/heldout.yml`` (parse time, intent F1);
3. starts, one after the other, stock default, stock tuned and ours (``make run``),
   and drives closed-loop visitors at each concurrency level (1, 20, 100): reply
   latency, messages/s, messages lost, cold start, peak RSS per part;
4. for ours also logs in ten agents and measures handoffs and relays while 20 visitors
   keep the bot busy;
5. writes ``bench/results.json``, ``bench/results.md`` (the table, ours/stock ratios,
   the targets) and ``bench/results.png`` (latency and throughput against
   concurrency), and prints the table.

``--tiny`` is the harness check ``make test`` runs: 1 or 2 visitors, one conversation
each, two handoffs, a few relays, three agents, no training (the stock systems serve
our model, so only the serving path differs), results to a scratch folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import handoff_phase, report
from bench.handoff_latency import ENVIRONMENT as HANDOFF_ENVIRONMENT
from bench.nlu_compare import stock_config
from bench.stats import latency_summary
from bench.systems import (
    LABELS,
    RunningSystem,
    SystemName,
    start_ours,
    start_stock,
    stop_make_run,
)
from bench.training_time import TrainingError, time_training
from bench.visitors import PAUSE_SECONDS, SCRIPT, LoadResult, calibrate, run_load
from bot.stack import ROOT
from bot.training import MODEL_PATH

RESULTS_DIR = ROOT / "bench"


@dataclass(frozen=True)
class BenchConfig:
    tiny: bool
    levels: tuple[int, ...]
    conversations: dict[int, int]
    """Conversations each visitor holds, by level."""
    handoffs: int
    relays: int
    agents: int
    background_visitors: int
    train: bool
    timeout: float = 60.0

    @classmethod
    def full(cls) -> BenchConfig:
        return cls(
            tiny=False,
            levels=(1, 20, 100),
            conversations={1: 5, 20: 2, 100: 1},
            handoffs=30,
            relays=100,
            agents=handoff_phase.AGENT_COUNT,
            background_visitors=20,
            train=True,
        )

    @classmethod
    def small(cls) -> BenchConfig:
        return cls(
            tiny=True,
            levels=(1, 2),
            conversations={1: 1, 2: 1},
            handoffs=2,
            relays=5,
            agents=3,
            background_visitors=2,
            train=False,
        )


class Progress:
    """Lines with the time since the start, flushed at once."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, line: str) -> None:
        elapsed = int(time.monotonic() - self.started)
        print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {line}", flush=True)


def level_figures(result: LoadResult) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "visitors": result.visitors,
        "conversations_each": result.conversations_each,
        "messages": result.sent,
        "answered": len(result.latencies_ms),
        "lost": result.lost,
        "messages_per_s": round(result.messages_per_second, 2),
        "wall_s": round(result.wall_seconds, 1),
        "unexpected_replies": result.unexpected_replies,
        "slow_notices": result.slow_notices,
        "failures": result.failed_conversations[:10],
    }
    if result.latencies_ms:
        summary = latency_summary(result.latencies_ms)
        figures |= {key: summary[key] for key in ("p50_ms", "p95_ms", "max_ms")}
    return figures


async def drive(
    running: RunningSystem, config: BenchConfig, say: Progress
) -> tuple[list[int], dict[str, Any]]:
    """Calibrate (also the warm-up), then every load level."""
    label = LABELS[running.name]
    say(f"{label}: one conversation alone to count the replies per message (warm-up)...")
    replies = await calibrate(running.protocol, running.url, SCRIPT, config.timeout)
    say(f"{label}: replies per message {replies}")
    levels: dict[str, Any] = {}
    for visitors in config.levels:
        each = config.conversations[visitors]
        say(f"{label}: {visitors} visitor(s), {each} conversation(s) of {len(SCRIPT)} "
            "messages each...")  # fmt: skip
        result = await run_load(running.protocol, running.url, visitors, each, replies,
                                SCRIPT, config.timeout, progress=say)  # fmt: skip
        figures = level_figures(result)
        levels[str(visitors)] = figures
        say(f"{label}: {visitors} visitor(s): p50 {figures.get('p50_ms')} ms, "
            f"p95 {figures.get('p95_ms')} ms, {figures['messages_per_s']} messages/s, "
            f"{figures['lost']} lost")  # fmt: skip
    return replies, levels


def system_figures(
    running: RunningSystem, replies: list[int], levels: dict[str, Any]
) -> dict[str, Any]:
    """What every system reports (its sampler stopped)."""
    return {
        "label": LABELS[running.name],
        "cold_start_s": round(running.cold_start_seconds, 1),
        "rss": running.sampler.peaks(),
        "replies_per_message": replies,
        "levels": levels,
        "logs": str(running.log_dir),
    }


def measure_stock(
    name: SystemName, model: Path, workdir: Path, config: BenchConfig, say: Progress
) -> dict[str, Any]:
    say(f"Starting {LABELS[name]} (rasa run, Rasa's socket.io channel)...")
    stack, running = start_stock(name, model, workdir / name, say)
    try:
        replies, levels = asyncio.run(drive(running, config, say))
    finally:
        running.sampler.stop()
        stack.stop()
    return system_figures(running, replies, levels)


def measure_ours(workdir: Path, config: BenchConfig, say: Progress) -> dict[str, Any]:
    roster = handoff_phase.write_roster(workdir / "ours" / "agents.yml", config.agents)
    environment = HANDOFF_ENVIRONMENT | {"AGENTS_FILE": str(roster)}
    say("Starting ours (`make run`, timed until it says it is running)...")
    make_run, running = start_ours(workdir / "ours", environment)
    say(f"ours: ready after {running.cold_start_seconds:.1f} s")
    try:

        async def everything() -> tuple[list[int], dict[str, Any], dict[str, Any]]:
            replies, levels = await drive(running, config, say)
            say(f"ours: handoffs and relays, {config.agents} agents online, "
                f"{config.background_visitors} visitors talking to the bot...")  # fmt: skip
            timings, background = await handoff_phase.measure_under_load(
                running.url, replies, config.handoffs, config.relays,
                config.background_visitors, say, config.agents, config.timeout,
            )  # fmt: skip
            handoff = {
                "agents": config.agents,
                "background_visitors": config.background_visitors,
                "metrics": {metric: latency_summary(values)
                            for metric, values in timings.items() if values},
                "background": level_figures(background),
            }  # fmt: skip
            return replies, levels, handoff

        replies, levels, handoff = asyncio.run(everything())
    finally:
        running.sampler.stop()
        stop_make_run(make_run)
    return system_figures(running, replies, levels) | {"handoff": handoff}


def train_both(workdir: Path, say: Progress) -> tuple[dict[str, Any], dict[str, Path]]:
    training: dict[str, Any] = {}
    models: dict[str, Path] = {}
    for name, config_path, estimate in (
        ("stock", stock_config(workdir), "about 6 minutes"),
        ("ours", ROOT / "config.yml", "about 1 minute"),
    ):
        say(f"Training the {name} model from scratch, then again unchanged ({estimate})...")
        times = time_training(config_path, workdir / "models", name)
        say(f"  {name}: full {times.full_seconds:.0f} s, no change {times.no_change_seconds:.0f} s")
        training[name] = {
            "config": "rasa init's config.yml" if name == "stock" else "config.yml",
            "full_s": times.full_seconds,
            "no_change_s": times.no_change_seconds,
        }
        models[name] = times.model
    return training, models


def measure_nlu(models: dict[str, Path], training: dict[str, Any], workdir: Path,
                say: Progress) -> dict[str, Any]:  # fmt: skip
    """Both models' NLU on the held-out file, in a separate process (TensorFlow stays
    out of the process that drives the visitors)."""
    say("Measuring NLU parse time and intent F1 on bench/nlu/heldout.yml (both models)...")
    spec = workdir / "nlu-models.json"
    out = workdir / "nlu.json"
    spec.write_text(json.dumps([
        {"name": name, "config": str(ROOT / "config.yml") if name == "ours" else
         str(workdir / "stock-config.yml"), "model": str(model),
         "train_seconds": training.get(name, {}).get("full_s", 0.0)}
        for name, model in models.items()
    ]))  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "bench.nlu_compare", "--from-models", str(spec), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        raise TrainingError(f"the NLU measurement failed:\n{completed.stderr[-3000:]}")
    measured = {}
    for entry in json.loads(out.read_text()):
        measured[entry["name"]] = {key: value for key, value in entry.items() if key != "misses"}
        measured[entry["name"]]["misses"] = len(entry["misses"])
    return measured


def run(config: BenchConfig, out_dir: Path, say: Progress) -> tuple[dict[str, Any], bool]:
    """Everything; the results and whether every system was measured."""
    workdir = Path(f"/tmp/bench-{secrets.token_hex(4)}")
    workdir.mkdir(parents=True)
    say(f"Scratch folder (models, logs): {workdir}")
    results: dict[str, Any] = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "rasa": version("rasa"),
            "platform": platform.platform(),
        },
        "config": {
            "tiny": config.tiny,
            "levels": list(config.levels),
            "conversations_each": {str(k): v for k, v in config.conversations.items()},
            "script": list(SCRIPT),
            "pause_s": PAUSE_SECONDS,
            "timeout_s": config.timeout,
        },
        "systems": {},
        "errors": {},
    }
    complete = True
    if config.train:
        training, models = train_both(workdir, say)
        results["training"] = training
    else:
        say("Tiny configuration: no training; the stock systems serve our model.")
        results["training"] = {}
        models = {"stock": MODEL_PATH, "ours": MODEL_PATH}
    results["nlu"] = measure_nlu(models, results["training"], workdir, say)
    stock_model = models["stock"]
    for name in ("stock_default", "stock_tuned", "ours"):
        try:
            if name == "ours":
                results["systems"][name] = measure_ours(workdir, config, say)
            else:
                results["systems"][name] = measure_stock(name, stock_model, workdir, config, say)
        except (
            RuntimeError,
            OSError,
            asyncio.TimeoutError,
        ) as error:  # StackError, VisitorError, …
            complete = False
            results["errors"][name] = f"{type(error).__name__}: {error}"
            say(f"{LABELS[name]} could not be measured: {error}")
    if complete:
        results["targets"] = report.targets(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if complete:
        (out_dir / "results.md").write_text(report.markdown(results))
        report.plot(results, out_dir / "results.png")
    # The models are big; a full run keeps its logs (results.json points at them), a
    # tiny one that worked keeps nothing.
    shutil.rmtree(workdir if config.tiny and complete else workdir / "models", ignore_errors=True)
    return results, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true",
                        help="the harness check: 1-2 visitors, no training")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS_DIR,
                        help="folder for results.json/.md/.png (default bench/)")  # fmt: skip
    args = parser.parse_args(argv)
    config = BenchConfig.small() if args.tiny else BenchConfig.full()
    say = Progress()
    if not MODEL_PATH.exists():
        print(f"error: no trained model at {MODEL_PATH}: run `make model` first", file=sys.stderr)
        return 1
    try:
        results, complete = run(config, args.out, say)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    say(f"Done in {(time.monotonic() - say.started) / 60:.1f} minutes.")
    if not complete:
        for name, error in results["errors"].items():
            print(f"error: {LABELS[name]}: {error}", file=sys.stderr)  # type: ignore[index]
        print(f"Partial results in {args.out / 'results.json'}", file=sys.stderr)
        return 1
    print()
    print(report.markdown(results))
    print(f"Written: {args.out / 'results.json'}, {args.out / 'results.md'}, "
          f"{args.out / 'results.png'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
