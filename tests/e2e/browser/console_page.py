"""The agents' console as a test sees it: the locators of its DOM contract
(bot/console/static/console.html and login.html, filled by bot/console/src/*.ts), the
steps every console test repeats, and a minimal driver of the website widget for the
visitor's side.

``ConsolePage.live()`` waits until the console's ``/agents`` socket has connected and
its ``sync`` was answered (seen on the page's WebSocket frames), so that a test knows
the console is following the desk before it makes something happen there.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Locator, Page, WebSocket, expect

from tests.e2e.agent import DEMO_PASSWORDS

SYNC_ACK = re.compile(r"^43/agents,\d*\[")
"""A socket.io acknowledgement (``4`` message, ``3`` ack) on the ``/agents`` namespace:
the answer to the console's ``sync``."""


def exactly(text: str) -> re.Pattern[str]:
    """Matches an element whose whole text is ``text`` (surrounding space aside)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def console_url(gateway_url: str) -> str:
    return f"{gateway_url}/console/"


def login_url(gateway_url: str) -> str:
    return f"{gateway_url}/console/login"


LOGIN_URL = re.compile(r"/console/login$")
CONSOLE_URL = re.compile(r"/console/$")


class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.locator("form#login")
        self.agent_id = self.form.locator("#agent-id")
        self.password = self.form.locator("#password")
        self.error = page.locator("#login-error[role=alert]")
        self.submit = self.form.locator("button[type=submit]")

    async def open(self, gateway_url: str) -> None:
        await self.page.goto(login_url(gateway_url))
        await expect(self.form).to_be_visible()

    async def sign_in(self, agent_id: str, password: str) -> None:
        """Fills the form and submits it (no waiting for the outcome)."""
        await self.agent_id.fill(agent_id)
        await self.password.fill(password)
        await self.submit.click()


class ConsolePage:
    def __init__(self, page: Page, gateway_url: str) -> None:
        self.page = page
        self.gateway_url = gateway_url
        self._synced = asyncio.Event()
        page.on("websocket", self._watch_socket)

        self.agent_name = page.locator("#agent-name")
        self.status = page.locator("select#status")
        self.logout = page.locator("button#logout")
        self.logout_everywhere = page.locator("button#logout-everywhere")
        self.connection = page.locator("#connection")
        self.toast = page.locator("#toast[role=status]")

        self.queue_items = page.locator("ul#queue-list > li.queue-item")
        self.queue_empty = page.locator("#queue-empty")
        self.chat_items = page.locator("ul#chat-list > li.chat-item")

        self.chat = page.locator("main#chat")
        self.packet = self.chat.locator("#packet")
        self.transcript = self.chat.locator("ol#transcript")
        self.entries = self.transcript.locator("li.entry")
        self.visitor_typing = self.chat.locator("#visitor-typing")
        self.reply_text = self.chat.locator("form#reply #reply-text")
        self.canned = self.chat.locator("form#reply select#canned")
        self.notes = self.chat.locator("ul#note-list > li.note")
        self.note_text = self.chat.locator("form#note-form #note-text")
        self.note_submit = self.chat.locator("form#note-form button[type=submit]")

        self.transfer_button = self.chat.locator("button#transfer")
        self.transfer_form = self.chat.locator("form#transfer-form")
        self.transfer_to = self.transfer_form.locator("select#transfer-to")
        self.transfer_note = self.transfer_form.locator("#transfer-note")
        self.hand_back_button = self.chat.locator("button#hand-back")
        self.hand_back_form = self.chat.locator("form#hand-back-form")
        self.resume_point = self.hand_back_form.locator("select#resume-point")
        self.hand_back_note = self.hand_back_form.locator("#hand-back-note")
        self.close_button = self.chat.locator("button#close-chat")
        self.close_form = self.chat.locator("form#close-form")

    def _watch_socket(self, socket: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, str) and SYNC_ACK.match(payload):
                self._synced.set()

        socket.on("framereceived", on_frame)

    # Signing in and being live.

    async def log_in(self, agent_id: str, password: str | None = None) -> None:
        """Signs in on the login page and waits until the console shows the agent and
        follows the desk live."""
        login = LoginPage(self.page)
        await login.open(self.gateway_url)
        await login.sign_in(agent_id, password or DEMO_PASSWORDS[agent_id])
        await expect(self.page).to_have_url(CONSOLE_URL)
        await expect(self.agent_name).not_to_be_empty()
        await self.live()

    async def live(self, timeout: float = 15.0) -> None:
        """Until the console's socket has been synced (the queue and chats are live)."""
        await asyncio.wait_for(self._synced.wait(), timeout)

    # The sidebar.

    def queue_item(self, chat_id: str) -> Locator:
        return self.page.locator(f'ul#queue-list > li.queue-item[data-chat-id="{chat_id}"]')

    def chat_item(self, chat_id: str) -> Locator:
        return self.page.locator(f'ul#chat-list > li.chat-item[data-chat-id="{chat_id}"]')

    async def only_queued_chat(self) -> str:
        """The chat id of the one chat in the queue (waits for it)."""
        await expect(self.queue_items).to_have_count(1)
        return str(await self.queue_items.first.get_attribute("data-chat-id"))

    async def claim(self, chat_id: str) -> None:
        """Claims the chat from the queue and waits until it is open."""
        await self.queue_item(chat_id).locator("button.claim").click()
        await self.opened(chat_id)

    async def opened(self, chat_id: str) -> None:
        await expect(self.chat).to_be_visible()
        await expect(self.chat).to_have_attribute("data-chat-id", chat_id)
        await expect(self.packet.locator(".restated")).to_be_visible()

    # The open chat.

    def of_kind(self, kind: str) -> Locator:
        """Transcript entries of one ``data-kind`` (visitor, bot, agent, system, handoff)."""
        return self.transcript.locator(f'li.entry[data-kind="{kind}"]')

    def entry(self, kind: str, text: str) -> Locator:
        """Transcript entries of ``kind`` whose text is exactly ``text``."""
        return self.of_kind(kind).filter(has=self.page.locator("span.text", has_text=exactly(text)))

    async def reply(self, text: str) -> None:
        """Types a reply and sends it with Enter; waits until it is in the transcript."""
        await self.reply_text.fill(text)
        await self.reply_text.press("Enter")
        await expect(self.entry("agent", text)).to_have_count(1)
        await expect(self.reply_text).to_have_value("")

    async def add_note(self, text: str) -> None:
        await self.note_text.fill(text)
        await self.note_submit.click()
        await expect(self.notes.filter(has_text=text)).to_have_count(1)

    async def transfer(self, agent_id: str, note: str = "") -> None:
        await self.transfer_button.click()
        await expect(self.transfer_form).to_be_visible()
        await self.transfer_to.select_option(agent_id)
        if note:
            await self.transfer_note.fill(note)
        await self.transfer_form.locator("button[type=submit]").click()

    async def hand_back(self, resume_point: str, note: str = "") -> None:
        await self.hand_back_button.click()
        await expect(self.hand_back_form).to_be_visible()
        await self.resume_point.select_option(resume_point)
        if note:
            await self.hand_back_note.fill(note)
        await self.hand_back_form.locator("button[type=submit]").click()


class DemoWidget:
    """The website widget on the gateway's demo page, as much as the console tests
    need: open it, send a message, read the entries (in the widget's open shadow root,
    which Playwright's CSS locators pierce)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.host = page.locator("#complaint-chat")
        self.launcher = self.host.locator("button.launcher")
        self.panel = self.host.locator("div.panel")
        self.input = self.panel.locator("textarea.input")
        self.messages = self.panel.locator("ol.messages")
        self.typing = self.panel.locator("div.typing")

    async def open(self, gateway_url: str) -> None:
        await self.page.goto(f"{gateway_url}/demo/")
        await self.launcher.click()
        await expect(self.panel).to_have_attribute("data-connection", "connected")

    def of_kind(self, kind: str) -> Locator:
        return self.messages.locator(f'li.entry[data-kind="{kind}"]')

    async def send(self, text: str) -> None:
        await self.input.fill(text)
        await self.input.press("Enter")

    async def say(self, text: str) -> None:
        """Sends ``text`` and waits for a recorded bot entry after it and the end of
        the bot's turn (nobody typing)."""
        bot = self.messages.locator("li.entry[data-kind=bot][data-seq]")
        before = await bot.count()
        await self.send(text)
        await expect(bot).not_to_have_count(before)
        await expect(self.typing).to_be_hidden()
