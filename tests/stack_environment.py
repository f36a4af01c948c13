"""What a test stack (the end-to-end fixture, `make eval`) is started with: settings in
the environment for as long as it runs, and a business file that keeps no hours."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT


@contextmanager
def environment(settings: dict[str, str]) -> Iterator[None]:
    """``settings`` in ``os.environ`` inside the block; the earlier values after it."""
    previous = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def without_hours(business_yml: str) -> str:
    """The business file's text with its top-level ``hours:`` section left out."""
    kept: list[str] = []
    skipping = False
    for line in business_yml.splitlines(keepends=True):
        if line.startswith("hours:"):
            skipping = True
            continue
        if skipping and line.strip() and not line.startswith((" ", "#")):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


def write_business_file_without_hours(path: Path) -> Path:
    """The shipped business.yml at ``path``, keeping no hours (the team is always open):
    what the bot says when nobody is free must not depend on the day tests run. The
    hours themselves are tested with fixed clocks (tests/unit/test_business_hours.py)."""
    path.write_text(without_hours((ROOT / "business.yml").read_text(encoding="utf-8")))
    return path
