"""The console's pages (bot/console/pages.py) in process on a real Sanic server: the
pages, their strict Content-Security-Policy, and a clear answer when unbuilt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.console.pages import create_console_pages
from tests.unit.test_agent_auth import new_app, running_app


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CONSOLE_DIST_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
async def base_url(sanic_test_mode: None, dist: Path) -> AsyncIterator[str]:
    app = new_app("console")
    app.blueprint(create_console_pages())
    async with running_app(app) as url:
        yield url


async def get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as reply:
        return reply.status, dict(reply.headers), await reply.text()


@pytest.mark.parametrize(
    ("path", "marker"), [("/console/", 'id="queue-list"'), ("/console/login", 'id="login"')]
)
async def test_pages_carry_a_strict_content_security_policy(
    base_url: str, path: str, marker: str
) -> None:
    status, headers, body = await get(f"{base_url}{path}")
    assert status == 200 and marker in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in body, "no inline script: the policy would block it"


async def test_the_script_is_served_once_built(base_url: str, dist: Path) -> None:
    status, _headers, body = await get(f"{base_url}/console/console.js")
    assert status == 503 and "make widget" in body
    (dist / "console.js").write_text("/* console */")
    status, headers, body = await get(f"{base_url}/console/console.js")
    assert status == 200 and body == "/* console */"
    assert headers["Content-Type"].startswith("application/javascript")


async def test_the_stylesheet_is_served(base_url: str) -> None:
    status, headers, body = await get(f"{base_url}/console/console.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "#packet" in body
