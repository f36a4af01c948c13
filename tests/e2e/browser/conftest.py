"""Real-browser tests: headless Debian Chromium driven by Playwright, against the e2e
stack (tests/e2e/conftest.py), which they share with the other end-to-end tests.

The tests are async (Playwright's async API) and run on pytest-asyncio's *session*
event loop, like the browser they share: every test module here sets
``pytestmark = pytest.mark.asyncio(loop_scope="session")``. The function-loop fixtures
of the parent conftest that hold loop-bound clients (``desk_reset``, ``agents``) have
session-loop twins here (``clean_desk``, ``agent_consoles``).

Besides the gateway's own pages (``/demo/``), the tests load host pages from
``pages/`` through a small static server that is reachable as two origins: as
``http://localhost:<port>`` (in ``GATEWAY_ALLOWED_ORIGINS``) and as
``http://127.0.0.1:<port>`` (not allowed, so refused at the socket.io handshake).
"""

from __future__ import annotations

import mimetypes
import re
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
import redis.asyncio as redis
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    async_playwright,
)
from playwright.async_api import expect as playwright_expect

from bot.stack import Stack
from tests.conftest import ROOT
from tests.e2e.browser.chromium import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM
from tests.e2e.conftest import BROWSER_HOST_PORT
from tests.e2e.handoff_helpers import AgentLogins, reset_desk

TIMEOUT_MS = 15_000
"""How long an expectation or an action waits (the bot answers in well under a second)."""
playwright_expect.set_options(timeout=TIMEOUT_MS)

WIDGET_DIR = ROOT / "widget"
WIDGET_BUNDLE = WIDGET_DIR / "dist" / "widget.js"
RASA_WEBCHAT_BUNDLE = WIDGET_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
AXE_SCRIPT = WIDGET_DIR / "node_modules" / "axe-core" / "axe.min.js"
PAGES_DIR = Path(__file__).resolve().parent / "pages"
SCREENSHOTS_DIR = ROOT / "reports" / "screenshots"

VENDOR_FILES = {
    "/vendor/widget.js": WIDGET_BUNDLE,
    "/vendor/rasa-webchat.js": RASA_WEBCHAT_BUNDLE,
}
"""What the host pages load besides themselves (the scripts under test)."""

GATEWAY_URL_MARK = "__GATEWAY_URL__"
"""Replaced in a host page by the gateway it talks to (``?gateway=<index>``, default 0)."""


# --- Screenshots and accessibility ---------------------------------------------------


async def shot(page: Page, name: str) -> Path:
    """A screenshot of the page as ``reports/screenshots/<name>.png``."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=str(path))
    return path


SERIOUS_IMPACTS = ("serious", "critical")


async def axe_violations(page: Page, include: str | None = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (or in the element matching
    the CSS selector ``include``, shadow DOM included), each reduced to what a failure
    message needs: rule id, impact, help text and the offending nodes."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE_SCRIPT))
    results = await page.evaluate(
        """async (include) => {
            const context = include ? {include: [[include]]} : document;
            const results = await axe.run(context, {resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        include,
    )
    return [violation for violation in results if violation["impact"] in SERIOUS_IMPACTS]


@pytest.fixture(scope="session", autouse=True)
def screenshots_dir() -> Path:
    """reports/screenshots/, without the failure screenshots of earlier runs."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS_DIR.glob("FAILED-*.png"):
        stale.unlink()
    return SCREENSHOTS_DIR


# --- The browser, one fresh context and page per test --------------------------------


@pytest.fixture(scope="session", autouse=True)
def chromium() -> Path:
    """Debian's Chromium, checked before anything else starts (autouse: even before the
    stack), so that without it every browser test fails at once with the one fix."""
    if not CHROMIUM.exists():
        pytest.fail(NO_CHROMIUM, pytrace=False)
    return CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh context (own cookies and localStorage) for each test."""
    made = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    made.set_default_timeout(TIMEOUT_MS)
    yield made
    await made.close()


@dataclass
class PageLog:
    """What a page said on its console and the errors it did not catch."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps each phase's report on the test, for the ``page`` fixture's teardown."""
    report = yield
    item.stash.setdefault(REPORTS_KEY, {})[report.when] = report
    return report


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest_asyncio.fixture(loop_scope="session")
async def page(
    context: BrowserContext, page_log: PageLog, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """A page in the test's own context. When the test fails, a screenshot is saved as
    ``reports/screenshots/FAILED-<test>.png`` and the page's console is printed."""
    made = await context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        page_log.console.append(f"{message.type}: {message.text}")

    made.on("console", on_console)
    made.on("pageerror", lambda error: page_log.errors.append(str(error)))
    yield made
    call = request.node.stash.get(REPORTS_KEY, {}).get("call")
    if call is not None and call.failed:
        try:
            path = await shot(made, f"FAILED-{request.node.name}")
            print(f"\nscreenshot of the failure: {path}")
        except Error as error:
            print(f"\nno screenshot of the failure: {error}")
        print("page console:\n  " + "\n  ".join(page_log.console + page_log.errors))


# --- Host pages on two origins -------------------------------------------------------


@dataclass
class HostPages:
    """The static server of the host pages: ``url(name)`` on the allowed origin,
    ``url(name, allowed=False)`` on the refused one."""

    port: int
    gateway_urls: list[str]

    @property
    def allowed_origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def refused_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str, allowed: bool = True, gateway: int = 0) -> str:
        origin = self.allowed_origin if allowed else self.refused_origin
        return f"{origin}/{name}?gateway={gateway}"


def host_page_handler(gateway_urls: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path in VENDOR_FILES:
                path = VENDOR_FILES[url.path]
            else:
                name = url.path.lstrip("/") or "index.html"
                path = (PAGES_DIR / name).resolve()
                if not path.is_relative_to(PAGES_DIR):
                    self.send_error(404)
                    return
            if not path.is_file():
                self.send_error(404, f"{path} is missing")
                return
            body = path.read_bytes()
            if path.suffix == ".html":
                index = int(parse_qs(url.query).get("gateway", ["0"])[0])
                body = body.replace(GATEWAY_URL_MARK.encode(), gateway_urls[index].encode())
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.send_response(200)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler


@pytest.fixture(scope="session")
def host_pages(stack: Stack) -> Iterator[HostPages]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", BROWSER_HOST_PORT), host_page_handler(stack.config.gateway_urls)
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="host-pages", daemon=True)
    thread.start()
    try:
        yield HostPages(BROWSER_HOST_PORT, stack.config.gateway_urls)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- The widget bundle ---------------------------------------------------------------


def widget_is_stale() -> bool:
    if not WIDGET_BUNDLE.exists():
        return True
    built = WIDGET_BUNDLE.stat().st_mtime
    sources = [*(WIDGET_DIR / "src").rglob("*.ts"), WIDGET_DIR / "build.mjs"]
    return any(source.stat().st_mtime > built for source in sources if source.exists())


@pytest.fixture(scope="session")
def widget_bundle() -> Path:
    """widget/dist/widget.js, built (``node build.mjs``) when missing or older than its
    sources, so the tests never run against a stale bundle."""
    if widget_is_stale():
        node = shutil.which("node")
        if node is None or not (WIDGET_DIR / "build.mjs").exists():
            pytest.fail(f"{WIDGET_BUNDLE} is missing or stale: run `make widget`", pytrace=False)
        built = subprocess.run(
            [node, "build.mjs"], cwd=WIDGET_DIR, capture_output=True, text=True, timeout=120
        )
        if built.returncode != 0:
            pytest.fail(f"building the widget failed:\n{built.stdout}{built.stderr}", pytrace=False)
    return WIDGET_BUNDLE


# --- The desk: agents and a clean queue ----------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def clean_desk(stack: Stack) -> AsyncIterator[redis.Redis]:
    """``desk_reset`` on the session loop: a clean desk before and after the test."""
    client = redis.Redis.from_url(stack.redis_url)
    await reset_desk(client)
    yield client
    await reset_desk(client)
    await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def agent_consoles(stack: Stack) -> AsyncIterator[AgentLogins]:
    """``await agent_consoles("maria")``: ``agents`` on the session loop."""
    logins = AgentLogins(stack)
    yield logins
    await logins.close()
