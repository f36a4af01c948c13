"""Run one of the product's command-line tools (``python -m bot.<tool>``) as a user would:
a separate process, from the project root, with the test's environment plus a few
variables, its output captured."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_tool(
    module: str,
    *args: str,
    stdin: str = "",
    environment: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python -m <module> <args>``; ``environment`` is added, ``unset`` removed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(environment or {})}
    for name in unset:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
        check=False,
    )
