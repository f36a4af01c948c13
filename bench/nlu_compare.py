"""Understanding against speed: Rasa's default NLU pipeline (the ``config.yml`` that
``rasa init`` writes, its pipeline left to Rasa) against ours (``config.yml``).

Both are trained on ``data/nlu`` only (``rasa train nlu``) and measured on
``bench/nlu/heldout.yml``, which no training ever sees: training time, parse time per
message (p50 / p95 over every held-out example, after a warm-up), intent accuracy and
weighted F1 (an ``nlu_fallback`` counts as a miss, as the bot would see it). A faster
pipeline must never be bought with worse understanding: compare the two rows.

``python -m bench.nlu_compare`` prints a table and writes ``bench/nlu-compare.json``
(``make bench-nlu``). ``make bench`` trains whole models anyway and passes them in
with ``--from-models`` (a JSON list of ``{name, config, model, train_seconds}``), so
the parse figures come from the NLU part of the very models it serves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from bot.rasa_telemetry import telemetry_environment

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "nlu" / "heldout.yml"
RESULTS = ROOT / "bench" / "nlu-compare.json"
WARM_UP_PARSES = 5


@dataclass(frozen=True)
class PipelineResult:
    name: str
    config: str
    train_seconds: float
    parse_ms_p50: float
    parse_ms_p95: float
    accuracy: float
    weighted_f1: float
    examples: int
    misses: list[tuple[str, str, str]]
    """(text, expected intent, predicted intent) of every miss."""


def stock_config(folder: Path) -> Path:
    """The config ``rasa init`` writes (pipeline and policies left to Rasa's defaults)."""
    template = resources.files("rasa.cli").joinpath("initial_project", "config.yml")
    path = folder / "stock-config.yml"
    path.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def train(name: str, config: Path, out: Path) -> tuple[Path, float]:
    print(f"Training the {name} NLU pipeline ({config.name})...", flush=True)
    started = time.monotonic()
    completed = subprocess.run(
        [
            sys.executable, "-m", "rasa", "train", "nlu",
            "--config", str(config),
            "--nlu", str(ROOT / "data" / "nlu"),
            "--out", str(out),
            "--fixed-model-name", name,
            "--quiet",
        ],
        cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ) | telemetry_environment(),  # nothing sent unless opted in
    )  # fmt: skip
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n")
        raise SystemExit(f"training the {name} pipeline failed (exit {completed.returncode})")
    print(f"  trained in {seconds:.0f} s", flush=True)
    return out / f"{name}.tar.gz", seconds


async def measure(name: str, config: Path, model: Path, train_seconds: float) -> PipelineResult:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import accuracy_score, f1_score

    agent = Agent.load(str(model))
    examples = [
        (example.get("text"), example.get("intent"))
        for example in load_data(str(HELDOUT)).intent_examples
    ]
    for text, _ in examples[:WARM_UP_PARSES]:
        await agent.parse_message(text)
    timings: list[float] = []
    predicted: list[str] = []
    for text, _ in examples:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        timings.append((time.perf_counter() - started) * 1000)
        predicted.append((parsed.get("intent") or {}).get("name") or "none")
    expected = [intent for _, intent in examples]
    quantiles = statistics.quantiles(timings, n=20)
    return PipelineResult(
        name=name,
        config=str(config.relative_to(ROOT)) if config.is_relative_to(ROOT) else config.name,
        train_seconds=round(train_seconds, 1),
        parse_ms_p50=round(statistics.median(timings), 2),
        parse_ms_p95=round(quantiles[18], 2),
        accuracy=round(float(accuracy_score(expected, predicted)), 3),
        weighted_f1=round(
            float(f1_score(expected, predicted, average="weighted", zero_division=0)), 3
        ),
        examples=len(examples),
        misses=[
            (text, want, got)
            for (text, want), got in zip(examples, predicted, strict=True)
            if want != got
        ],
    )


def _ratio(ours: float, stock: float) -> str:
    return f"{ours / stock:.2f}x" if stock else "–"


def table(results: list[PipelineResult]) -> str:
    lines = [
        "| pipeline | training | parse p50 | parse p95 | intent accuracy | weighted F1 |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.name} (`{result.config}`) | {result.train_seconds:.0f} s | "
            f"{result.parse_ms_p50:.1f} ms | {result.parse_ms_p95:.1f} ms | "
            f"{result.accuracy:.3f} | {result.weighted_f1:.3f} |"
        )
    if len(results) == 2:
        stock, ours = results
        lines.append(
            f"| ours / stock | {_ratio(ours.train_seconds, stock.train_seconds)} | "
            f"{_ratio(ours.parse_ms_p50, stock.parse_ms_p50)} | "
            f"{_ratio(ours.parse_ms_p95, stock.parse_ms_p95)} | "
            f"{ours.accuracy - stock.accuracy:+.3f} | {ours.weighted_f1 - stock.weighted_f1:+.3f} |"
        )
    return "\n".join(lines)


def measure_models(spec: Path) -> list[PipelineResult]:
    """Each ``{name, config, model, train_seconds}`` of the JSON list in ``spec``."""
    results = []
    for entry in json.loads(spec.read_text()):
        print(f"Parsing {HELDOUT.relative_to(ROOT)} with the {entry['name']} model...", flush=True)
        results.append(
            asyncio.run(
                measure(
                    entry["name"], Path(entry["config"]), Path(entry["model"]),
                    float(entry["train_seconds"]),
                )
            )
        )  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--from-models", type=Path, metavar="SPEC.json",
                        help="measure these trained models instead of training")  # fmt: skip
    args = parser.parse_args(argv)
    if not HELDOUT.exists():
        raise SystemExit(f"{HELDOUT} is missing: the held-out examples are part of the repo")
    if args.from_models:
        results = measure_models(args.from_models)
        args.out.write_text(json.dumps([asdict(result) for result in results], indent=2) + "\n")
        print(table(results))
        return 0
    with tempfile.TemporaryDirectory(prefix="nlu-compare-") as scratch:
        folder = Path(scratch)
        pipelines = [("stock", stock_config(folder)), ("ours", ROOT / "config.yml")]
        results = []
        for name, config in pipelines:
            model, seconds = train(name, config, folder)
            print(f"Parsing {HELDOUT.relative_to(ROOT)} with the {name} pipeline...", flush=True)
            results.append(asyncio.run(measure(name, config, model, seconds)))
    args.out.write_text(json.dumps([asdict(result) for result in results], indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nMisses and all figures: {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
