"""Train the model only when its inputs changed.

The fingerprint covers config.yml, domain.yml, everything under data/, our NLU
components (bot/nlu/) and the Rasa version. ``python -m bot.training`` trains when it
differs from the last training's (or no model exists); ``--force`` always trains.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from bot.rasa_telemetry import telemetry_environment

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "complaint-bot"
MODELS_DIR = ROOT / "models"
MODEL_PATH = MODELS_DIR / f"{MODEL_NAME}.tar.gz"
FINGERPRINT_PATH = MODELS_DIR / ".fingerprint.json"


def training_inputs(root: Path = ROOT) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files.extend(sorted(path for path in (root / "data").rglob("*") if path.is_file()))
    files.extend(sorted((root / "bot" / "nlu").glob("*.py")))  # our NLU components
    return files


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256(f"rasa=={version('rasa')}".encode())
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_is_current(root: Path = ROOT) -> bool:
    if not MODEL_PATH.exists() or not FINGERPRINT_PATH.exists():
        return False
    try:
        recorded = json.loads(FINGERPRINT_PATH.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return recorded.get("fingerprint") == fingerprint(root)


def train(root: Path = ROOT) -> None:
    """Run ``rasa train`` and record the fingerprint of what it trained on."""
    current = fingerprint(root)
    print("Training the model (about a minute on 2 cores)...", flush=True)
    started = time.monotonic()
    command = [
        sys.executable, "-m", "rasa", "train",
        "--fixed-model-name", MODEL_NAME,
        "--out", str(MODELS_DIR),
        "--config", "config.yml",
        "--domain", "domain.yml",
        "--data", "data",
    ]  # fmt: skip
    environment = dict(os.environ) | telemetry_environment()  # nothing sent unless opted in
    result = subprocess.run(command, cwd=root, env=environment, check=False)
    if result.returncode != 0:
        raise SystemExit(f"error: training failed (rasa train exited with {result.returncode})")
    FINGERPRINT_PATH.write_text(json.dumps({"fingerprint": current, "model": MODEL_PATH.name}))
    print(
        f"Trained {MODEL_PATH.relative_to(root)} in {time.monotonic() - started:.0f} s.",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the model if its inputs changed.")
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    args = parser.parse_args(argv)
    if not args.force and model_is_current():
        print(f"Model is up to date ({MODEL_PATH.relative_to(ROOT)}); no training needed.")
        return 0
    train()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
