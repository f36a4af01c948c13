"""What the gateway serves to browsers (bot/gateway/web_assets.py), in process on a real
Sanic server, and which page origins may open sockets (bot/gateway/app.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.gateway.app import socket_origins
from bot.gateway.settings import GatewaySettings, RateLimit
from bot.gateway.web_assets import AVATAR_COLOURS, avatar_svg, create_web_assets
from tests.unit.test_agent_auth import new_app, running_app

MARIA_AVATAR_ID = "3f9a0c1d2e4b5a6978c1"
"""An opaque avatar id (what bot/agents/avatars.py makes), as the route is keyed."""
NAMES = {MARIA_AVATAR_ID: "Maria Lopez", "evil": '<script>alert(1)</script>"'}


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "dist"
    folder.mkdir()
    monkeypatch.setenv("WIDGET_DIST_DIR", str(folder))
    return folder


@pytest.fixture
async def base_url(sanic_test_mode: None, dist: Path) -> AsyncIterator[str]:
    app = new_app("assets")
    app.blueprint(create_web_assets(lambda: NAMES))
    async with running_app(app) as url:
        yield url


async def get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as reply:
        return reply.status, dict(reply.headers), await reply.text()


async def test_the_built_bundle_is_served_as_javascript_revalidated_each_load(
    base_url: str, dist: Path
) -> None:
    (dist / "widget.js").write_text("console.log('widget v2')")
    status, headers, body = await get(f"{base_url}/widget.js")
    assert status == 200
    assert body == "console.log('widget v2')"
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Cache-Control"] == "no-cache"


async def test_a_missing_bundle_says_how_to_build_it(base_url: str) -> None:
    status, _headers, body = await get(f"{base_url}/widget.js")
    assert status == 503
    assert "make widget" in body


async def test_the_demo_page_carries_the_widget_tag(base_url: str) -> None:
    for path in ("/demo", "/demo/"):
        status, headers, body = await get(f"{base_url}{path}")
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/html")
        assert re.search(r'<script src="/widget.js"\s+data-title=', body)


async def test_an_agent_avatar_is_an_svg_with_their_initial(base_url: str) -> None:
    status, headers, body = await get(f"{base_url}/console/avatars/{MARIA_AVATAR_ID}.svg")
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    assert ">M</text>" in body
    assert 'aria-label="Maria Lopez"' in body


async def test_an_unknown_agent_has_no_avatar(base_url: str) -> None:
    status, _headers, _body = await get(f"{base_url}/console/avatars/nobody.svg")
    assert status == 404


def test_a_name_with_markup_is_escaped_in_the_avatar() -> None:
    svg = avatar_svg("evil", NAMES["evil"])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.count("<text") == 1


def test_avatar_colours_depend_on_the_id_only() -> None:
    colours = {avatar_svg(agent_id, "Same Name").split('fill="')[1][:7] for agent_id in "abcdefgh"}
    assert colours <= set(AVATAR_COLOURS)
    assert len(colours) > 1
    assert (
        avatar_svg("maria", "A").split('fill="')[1] == avatar_svg("maria", "B").split('fill="')[1]
    )


SETTINGS = GatewaySettings(
    host="127.0.0.1",
    port=8123,
    redis_url="redis://localhost",
    rasa_url="http://127.0.0.1:5005",
    channel_secret="x" * 32,
    session_secret="y" * 32,
    identity_secret="",
    allowed_origins=(),
    rate_limit=RateLimit(12, 20),
)


def test_without_configured_origins_only_the_same_origin_may_connect() -> None:
    assert socket_origins(SETTINGS) is None


def test_configured_origins_also_admit_the_gateways_own_pages() -> None:
    settings = replace(SETTINGS, allowed_origins=("https://shop.example",))
    assert socket_origins(settings) == [
        "https://shop.example",
        "http://127.0.0.1:8123",
        "http://localhost:8123",
    ]
