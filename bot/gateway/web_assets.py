"""What the gateway serves to browsers besides socket.io: the widget bundle, the demo
shop page that shows it, and the agents' generated avatars.

The widget is built by ``make widget`` (esbuild, into ``widget/dist/``); when the bundle
is missing the gateway answers 503 with the command that builds it, instead of a page
that silently shows no chat.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

ROOT = Path(__file__).resolve().parents[2]
WIDGET_DIR = ROOT / "widget"
AVATAR_COLOURS = ("#1f5fbf", "#8a3ffc", "#0e7c66", "#b3261e", "#8e5b00", "#4b5563")
"""Backgrounds for generated avatars; each has AA contrast (≥ 4.5:1) with white text."""


def widget_dist_dir() -> Path:
    """Where the built bundle is (``WIDGET_DIST_DIR`` overrides ``widget/dist``)."""
    return Path(os.environ.get("WIDGET_DIST_DIR") or WIDGET_DIR / "dist")


def avatar_svg(avatar_id: str, name: str) -> str:
    """A round avatar with the person's initial, its colour fixed by their avatar id."""
    digest = hashlib.sha256(avatar_id.encode()).digest()
    colour = AVATAR_COLOURS[digest[0] % len(AVATAR_COLOURS)]
    initial = escape((name.strip()[:1] or "?").upper())
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" '
        f'aria-label="{escape(name)}"><circle cx="32" cy="32" r="32" fill="{colour}"/>'
        '<text x="32" y="42" font-family="Arial, Helvetica, sans-serif" font-size="30" '
        f'font-weight="700" text-anchor="middle" fill="#ffffff">{initial}</text></svg>'
    )


def create_web_assets(roster_names: Callable[[], Mapping[str, str]]) -> Blueprint:
    """``roster_names()`` gives ``{avatar id: display name}`` (read when asked, so edits
    to agents.yml show without a restart). Avatars answer only to opaque avatar ids
    (bot/agents/avatars.py): a login id in the URL is 404, like any unknown name."""
    assets = Blueprint("web_assets")

    @assets.get("/widget.js")
    async def widget_bundle(request: Request) -> HTTPResponse:
        return await _bundle_file("widget.js", "application/javascript; charset=utf-8")

    @assets.get("/widget.js.map")
    async def widget_source_map(request: Request) -> HTTPResponse:
        return await _bundle_file("widget.js.map", "application/json")

    @assets.get("/demo", strict_slashes=False)
    async def demo_page(request: Request) -> HTTPResponse:
        return await response.file(
            WIDGET_DIR / "demo" / "index.html",
            mime_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    @assets.get("/console/avatars/<avatar_id:str>")
    async def avatar(request: Request, avatar_id: str) -> HTTPResponse:
        avatar_id = avatar_id.removesuffix(".svg")
        names = roster_names()
        if avatar_id not in names:
            return response.text("no such avatar", status=404)
        return response.text(
            avatar_svg(avatar_id, names[avatar_id]),
            content_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return assets


async def _bundle_file(name: str, mime_type: str) -> HTTPResponse:
    path = widget_dist_dir() / name
    if not path.is_file():
        return response.text(
            f"The widget is not built ({path} is missing): run `make widget`.\n", status=503
        )
    # Revalidated on every load (ETag), so a rebuilt widget reaches visitors at once.
    return await response.file(path, mime_type=mime_type, headers={"Cache-Control": "no-cache"})
