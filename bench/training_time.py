"""How long ``rasa train`` takes: a full training (``--force``, nothing reused from
Rasa's cache) and a re-run with nothing changed (Rasa finds the model current)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bot.rasa_telemetry import telemetry_environment
from bot.stack import ROOT


class TrainingError(RuntimeError):
    """``rasa train`` failed; the message holds the end of its output."""


@dataclass(frozen=True)
class TrainingTimes:
    model: Path
    full_seconds: float
    no_change_seconds: float


def rasa_train(config: Path, out: Path, name: str, force: bool) -> float:
    """Seconds ``rasa train`` took on our domain and data with ``config``."""
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config),
        "--domain", str(ROOT / "domain.yml"),
        "--data", str(ROOT / "data"),
        "--out", str(out),
        "--fixed-model-name", name,
    ]  # fmt: skip
    if force:
        command.append("--force")
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ) | telemetry_environment(),  # nothing sent unless opted in
    )  # fmt: skip
    seconds = time.monotonic() - started
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr)[-3000:]
        raise TrainingError(f"rasa train ({config.name}) failed with {completed.returncode}:\n"
                            f"{output}")  # fmt: skip
    return seconds


def time_training(config: Path, out: Path, name: str) -> TrainingTimes:
    """A full training into ``out``, then the same command again with nothing changed."""
    out.mkdir(parents=True, exist_ok=True)
    full = rasa_train(config, out, name, force=True)
    no_change = rasa_train(config, out, name, force=False)
    return TrainingTimes(out / f"{name}.tar.gz", round(full, 1), round(no_change, 1))
