"""Which Chromium the browser tests (and scripts/readme_screenshots.py) drive, and how.

Debian's package (Playwright's own browser download does not work here), at
``CHROMIUM_PATH`` or /usr/bin/chromium, started without the background services that
would try to reach Google's servers."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = (
    f"Browser tests need Chromium at {CHROMIUM}: run `sudo apt-get install chromium` "
    "(make test installs it when run as root) or set CHROMIUM_PATH"
)
