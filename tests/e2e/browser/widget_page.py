"""The chat widget as a test sees it: the locators of its DOM contract (inside the open
shadow root of ``#complaint-chat``; Playwright's CSS locators pierce it) and the few
steps every test repeats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.async_api import Locator, Page, expect

from bot.stack import Stack

HOST = "#complaint-chat"


def demo_url(stack: Stack, gateway: int = 0) -> str:
    """The demo shop page a gateway serves (the widget loaded from that gateway)."""
    return f"{stack.config.gateway_urls[gateway]}/demo/"


def exactly(text: str) -> re.Pattern[str]:
    """Matches an element whose whole text is ``text`` (surrounding space aside)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


@dataclass(frozen=True)
class Entry:
    """One ``li.entry`` of the message log, as read from the DOM."""

    kind: str
    seq: int | None
    pending: bool
    text: str


class ChatWidget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.host = page.locator(HOST)
        self.launcher = self.host.locator("button.launcher")
        self.badge = self.launcher.locator("span.badge")
        self.panel = self.host.locator("div.panel[role=dialog]")
        self.title = self.panel.locator("h2.title")
        self.subtitle = self.panel.locator("p.subtitle")
        self.agent_avatar = self.panel.locator("img.agent-avatar")
        self.end_chat = self.panel.locator("button.end-chat")
        self.download = self.panel.locator("button.download")
        self.minimise = self.panel.locator("button.minimise")
        self.connection = self.panel.locator("div.connection[role=status]")
        self.messages = self.panel.locator("div[role=log][aria-live=polite] > ol.messages")
        self.entries = self.messages.locator("li.entry")
        self.typing = self.panel.locator("div.typing")
        self.quick_replies = self.panel.locator("div.quick-replies button.quick-reply")
        self.input = self.panel.locator("form.composer textarea.input[aria-label=Message]")
        self.send_button = self.panel.locator("form.composer button.send[type=submit]")
        self.rating = self.panel.locator("form.rating")
        self.rating_thanks = self.panel.locator("p.rating-thanks")
        self.new_chat = self.panel.locator("button.new-chat")
        self.notice = self.panel.locator("p.notice[role=alert]")

    def of_kind(self, kind: str) -> Locator:
        """Entries of one ``data-kind`` (visitor, bot, agent, system, handoff, greeting)."""
        return self.messages.locator(f'li.entry[data-kind="{kind}"]')

    def entry(self, kind: str, text: str) -> Locator:
        """Entries of ``kind`` whose bubble's text is exactly ``text``."""
        return self.of_kind(kind).filter(
            has=self.page.locator("div.bubble", has_text=exactly(text))
        )

    async def open(self) -> None:
        """Opens the panel with the launcher and waits until the chat is connected."""
        await expect(self.launcher).to_be_visible()
        if await self.panel.is_hidden():
            await self.launcher.click()
        await expect(self.panel).to_be_visible()
        await self.connected()

    async def connected(self) -> None:
        await expect(self.panel).to_have_attribute("data-connection", "connected")

    async def send(self, text: str) -> None:
        """Types ``text`` and presses Enter (no waiting for anything)."""
        await self.input.fill(text)
        await self.input.press("Enter")

    async def send_recorded(self, text: str) -> int:
        """Sends ``text`` and waits until the server recorded it; the entry's seq."""
        recorded = self.entry("visitor", text).and_(self.messages.locator("li[data-seq]"))
        before = await recorded.count()
        await self.send(text)
        await expect(recorded).to_have_count(before + 1)
        return int(await recorded.last.get_attribute("data-seq") or 0)

    async def say(self, text: str) -> int:
        """Sends ``text``, waits until it is recorded and the bot's turn is over (at
        least one reply after it, nobody typing); the visitor entry's seq."""
        seq = await self.send_recorded(text)
        await self.reply_after(seq)
        await expect(self.typing).to_be_hidden()
        return seq

    async def reply_after(self, seq: int) -> None:
        """Waits until an entry that is not the visitor's follows ``seq``."""
        await self.page.wait_for_function(
            """([selector, seq]) => {
                const root = document.querySelector(selector).shadowRoot;
                return [...root.querySelectorAll("li.entry[data-seq]")].some(
                    (li) => li.dataset.kind !== "visitor" && Number(li.dataset.seq) > seq
                );
            }""",
            arg=[HOST, seq],
        )

    async def read(self) -> list[Entry]:
        """Every entry of the log, in DOM order."""
        rows = await self.host.evaluate(
            """(host) => [...host.shadowRoot.querySelectorAll("ol.messages li.entry")].map(
                (li) => ({
                    kind: li.dataset.kind,
                    seq: li.dataset.seq === undefined ? null : Number(li.dataset.seq),
                    pending: li.dataset.pending === "true",
                    text: (li.querySelector(".bubble") ?? li).textContent.trim(),
                })
            )"""
        )
        return [Entry(**row) for row in rows]

    async def assert_in_order_once(self) -> list[Entry]:
        """The recorded entries are shown once each and in ``seq`` order (the widget may
        leave out a handoff line that only repeats the bot), unsent ones after them."""
        entries = await self.read()
        seqs = [entry.seq for entry in entries if entry.seq is not None]
        assert seqs == sorted(set(seqs)), entries
        kinds = [entry.kind for entry in entries]
        if "greeting" in kinds:
            assert kinds.index("greeting") == 0, entries
        pending = [i for i, entry in enumerate(entries) if entry.pending]
        assert all(entry.seq is None for entry in entries[min(pending, default=len(entries)) :])
        return entries
