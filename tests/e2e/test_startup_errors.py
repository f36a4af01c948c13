"""`make run`'s start-up checks: one clear line, a non-zero exit, nothing started."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.embedded_redis import free_port
from tests.conftest import ROOT


def run_stack(**environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.stack", "--train-if-needed"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreachable_redis_stops_the_start_with_one_line_naming_redis_url():
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_stack(REDIS_URL=url, RASA_PORT=str(free_port()))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "REDIS_URL" in lines[0] and url in lines[0]
    assert "Starting" not in result.stdout


def test_a_malformed_business_file_stops_the_start_naming_the_line(tmp_path):
    broken = tmp_path / "business.yml"
    text = (ROOT / "business.yml").read_text().replace("max_refund: 50", "max_refund: fifty")
    broken.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "max_refund: fifty" in row)
    result = run_stack(BUSINESS_FILE=str(broken), REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert f"line {line}" in result.stderr and "max_refund" in result.stderr
