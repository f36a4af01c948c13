"""The console's pages, served by the gateway: ``/console/login``, ``/console/`` and
their script and stylesheet (built into bot/console/dist/ by ``make widget``).

Every page carries a strict Content-Security-Policy: scripts, styles and connections
from this origin only (no inline script, so injected markup cannot run), images also
from https (agents' avatars), never framed. The pages hold no data; everything comes
from the agent API, which checks the session.
"""

from __future__ import annotations

import os
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

CONSOLE_DIR = Path(__file__).resolve().parent
STATIC_DIR = CONSOLE_DIR / "static"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


def console_dist_dir() -> Path:
    """Where the built script is (``CONSOLE_DIST_DIR`` overrides bot/console/dist)."""
    return Path(os.environ.get("CONSOLE_DIST_DIR") or CONSOLE_DIR / "dist")


def create_console_pages() -> Blueprint:
    pages = Blueprint("console_pages", url_prefix="/console")

    @pages.get("/", strict_slashes=False)
    async def console(request: Request) -> HTTPResponse:
        return await _page("console.html")

    @pages.get("/login")
    async def login(request: Request) -> HTTPResponse:
        return await _page("login.html")

    @pages.get("/console.css")
    async def stylesheet(request: Request) -> HTTPResponse:
        return await response.file(
            STATIC_DIR / "console.css",
            mime_type="text/css; charset=utf-8",
            headers=SECURITY_HEADERS,
        )

    @pages.get("/console.js")
    async def script(request: Request) -> HTTPResponse:
        path = console_dist_dir() / "console.js"
        if not path.is_file():
            return response.text(
                f"The console is not built ({path} is missing): run `make widget`.\n", status=503
            )
        return await response.file(
            path, mime_type="application/javascript; charset=utf-8", headers=SECURITY_HEADERS
        )

    return pages


async def _page(name: str) -> HTTPResponse:
    return await response.file(
        STATIC_DIR / name, mime_type="text/html; charset=utf-8", headers=SECURITY_HEADERS
    )
