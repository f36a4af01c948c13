"""Takes the README's widget screenshots (docs/images/widget-*.png) from a running
`make run`: python scripts/readme_screenshots.py [gateway URL]. Needs Chromium
(scripts/ensure-chromium) and no agent logged in (the queue shot needs an empty desk)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import requests
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


def say(page: Page, text: str) -> None:
    """Sends ``text`` and waits until the bot has finished its turn."""
    bots = page.locator("li.entry[data-kind=bot], li.entry[data-kind=handoff]")
    before = bots.count()
    page.fill("textarea.input", text)
    page.keyboard.press("Enter")
    bots.nth(before).wait_for(timeout=TIMEOUT_MS)
    page.locator("div.typing").wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.wait_for_timeout(400)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(IMAGES / f"widget-{name}.png"))
    print(f"docs/images/widget-{name}.png")


def agent_session(gateway: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    reply = http.post(
        f"{gateway}/api/agent/login",
        json={"agent_id": "maria", "password": "maria-demo-pass"},
        timeout=10,
    )
    reply.raise_for_status()
    return http, reply.json()["csrf_token"]


def main(gateway: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1100, "height": 720})
        page.goto(f"{gateway}/demo/")
        page.click("button.launcher")
        page.wait_for_selector("div.panel[data-connection=connected]", timeout=TIMEOUT_MS)
        say(page, "I was charged twice for order #48213, $40 taken two times")
        say(page, "yes")
        shot(page, "conversation")
        say(page, "can I talk to a person please")
        page.wait_for_selector("button.quick-reply", timeout=TIMEOUT_MS)
        shot(page, "queue")

        http, csrf = agent_session(gateway)
        stored = page.evaluate(f"localStorage.getItem('complaint-chat:{gateway}')")
        session_id = json.loads(stored)["sessionId"]
        headers = {"X-CSRF-Token": csrf}
        http.post(f"{gateway}/api/agent/chats/{session_id}/claim", headers=headers, timeout=10)
        page.wait_for_selector("img.agent-avatar", timeout=TIMEOUT_MS)
        http.post(
            f"{gateway}/api/agent/chats/{session_id}/messages",
            json={"text": "Hi, this is Maria. I can see the double charge; I'm refunding it now."},
            headers=headers,
            timeout=10,
        )
        page.wait_for_selector("li.entry[data-kind=agent]", timeout=TIMEOUT_MS)
        page.wait_for_timeout(600)
        shot(page, "agent")

        page.click("button.minimise")
        http.post(
            f"{gateway}/api/agent/chats/{session_id}/messages",
            json={"text": "Done: $40 is on its way back to your card (3-5 working days)."},
            headers=headers,
            timeout=10,
        )
        page.wait_for_selector("span.badge:not([hidden])", timeout=TIMEOUT_MS)
        page.wait_for_timeout(300)
        shot(page, "launcher")

        page.click("button.launcher")
        page.click("button.end-chat")
        page.wait_for_selector("form.rating", timeout=TIMEOUT_MS)
        page.check("input[name=score][value='5']")
        page.fill("textarea.rating-comment", "Maria sorted it in two minutes.")
        page.wait_for_timeout(300)
        shot(page, "rating")

        page.set_viewport_size({"width": 390, "height": 760})
        page.click("button.new-chat")
        say(page, "my parcel hasn't arrived, it's been two weeks")
        shot(page, "mobile")
        http.post(f"{gateway}/api/agent/logout", headers=headers, timeout=10)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
