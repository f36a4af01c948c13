"""Takes the README's screenshots of the widget and the agents' console
(docs/images/widget-*.png, console-*.png) from a running
`make run`: python scripts/readme_screenshots.py [gateway URL]. Needs Chromium
(scripts/ensure-chromium) and no agent logged in (the queue shot needs an empty desk)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.e2e.browser.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
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


def console_shot(page: Page, name: str) -> None:
    page.screenshot(path=str(IMAGES / f"console-{name}.png"))
    print(f"docs/images/console-{name}.png")


def main(gateway: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
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

        console = browser.new_page(viewport={"width": 1280, "height": 800})
        console.goto(f"{gateway}/console/")
        console.wait_for_selector("form#login")
        console.fill("#agent-id", "maria")
        console_shot(console, "login")
        console.fill("#password", "maria-demo-pass")
        console.keyboard.press("Enter")
        stored = page.evaluate(f"localStorage.getItem('complaint-chat:{gateway}')")
        waiting = f'li.queue-item[data-session-id="{json.loads(stored)["sessionId"]}"]'
        console.wait_for_selector(waiting, timeout=TIMEOUT_MS)
        console_shot(console, "queue")
        console.click(f"{waiting} button.claim")
        console.wait_for_selector("#packet .restated", timeout=TIMEOUT_MS)
        page.wait_for_selector("img.agent-avatar", timeout=TIMEOUT_MS)
        console.select_option("#canned", index=1)
        console.keyboard.press("Enter")
        page.wait_for_selector("li.entry[data-kind=agent]", timeout=TIMEOUT_MS)
        console.fill("#note-text", "Double charge confirmed in the payments log; refunding $40.")
        console.click("#note-form button[type=submit]")
        console.wait_for_selector("li.note", timeout=TIMEOUT_MS)
        page.wait_for_timeout(600)
        shot(page, "agent")
        console_shot(console, "chat")

        page.click("button.minimise")
        console.fill("#reply-text", "Done: $40 is on its way back to your card (3-5 working days).")
        console.keyboard.press("Enter")
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
        console.click("#logout")
        console.wait_for_selector("form#login", timeout=TIMEOUT_MS)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
