"""rasa-webchat 1.0.1 (a client of Rasa's socket.io protocol only) on another site's page
holds a conversation with our gateway, as docs/protocol.md promises."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from playwright.async_api import Page, WebSocket, expect

from tests.e2e.browser.conftest import HostPages, shot

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

COMPLAINT = "my parcel with the rug hasn't arrived, it's been two weeks"


def received_events(page: Page) -> list[tuple[str, Any]]:
    """The socket.io events the page's websockets receive, as (name, payload)."""
    events: list[tuple[str, Any]] = []

    def on_frame(frame: str | bytes) -> None:
        if isinstance(frame, str) and frame.startswith("42["):
            name, *payload = json.loads(frame[2:])
            events.append((name, payload[0] if payload else None))

    def on_websocket(socket: WebSocket) -> None:
        socket.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    return events


async def open_rasa_webchat(page: Page, host_pages: HostPages) -> None:
    await page.goto(host_pages.url("rasa-webchat.html"))
    # rasa-webchat shows its launcher only once its socket is connected.
    launcher = page.locator("button.rw-launcher")
    await expect(launcher).to_be_visible()
    await launcher.click()
    await expect(page.locator("textarea.rw-new-message")).to_be_visible()


async def send(page: Page, text: str) -> None:
    box = page.locator("textarea.rw-new-message")
    await box.fill(text)
    await box.press("Enter")
    await expect(page.locator(".rw-client", has_text=text)).to_have_count(1)


async def test_rasa_webchat_connects_from_an_allowed_site_and_the_bot_answers(
    page: Page, host_pages: HostPages
) -> None:
    """The protocol level: the session is confirmed and the bot's replies reach the page."""
    events = received_events(page)
    await open_rasa_webchat(page, host_pages)
    await send(page, COMPLAINT)
    deadline = asyncio.get_running_loop().time() + 15
    while not any("rug" in reply.get("text", "") for reply in bot_replies(events)):
        assert asyncio.get_running_loop().time() < deadline, events
        await asyncio.sleep(0.05)
    names = [name for name, _ in events]
    assert names[0] == "session_confirm", names
    assert not [data for name, data in events if name == "error"], events


def bot_replies(events: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [data for name, data in events if name == "bot_uttered"]


async def test_rasa_webchat_shows_the_bots_replies(page: Page, host_pages: HostPages) -> None:
    await open_rasa_webchat(page, host_pages)
    replies = page.locator(".rw-message .rw-response .rw-message-text")
    # The answer to initPayload "hello" (rasa-webchat holds each reply up to 3 s).
    await expect(replies.first).to_be_visible(timeout=8_000)
    greeted = await replies.count()

    await send(page, COMPLAINT)
    # The bot acknowledges the complaint, then restates it (the rug, the two weeks).
    await expect(replies.nth(greeted + 1)).to_contain_text("rug")
    await send(page, "yes")
    await expect(replies.nth(greeted + 2)).to_be_visible()
    await shot(page, "rasa-webchat-conversation")
