"""The chat widget in a real browser against the real stack: a whole complaint, a reload,
an agent taking over, hostile text, keyboard-only use, accessibility, a phone-sized
screen, other sites' pages (allowed and refused) and a lost connection."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from playwright.async_api import Page, Request, WebSocket, expect

from bot.stack import Stack
from tests.e2e.agent import AgentClient
from tests.e2e.browser.conftest import HostPages, PageLog, axe_violations, shot
from tests.e2e.browser.widget_page import HOST, ChatWidget, demo_url, exactly
from tests.e2e.handoff_helpers import BILLING_COMPLAINT, avatar_of

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

Agents = Callable[..., Awaitable[AgentClient]]

PARCEL_COMPLAINT = "the parcel with my rug still hasn't arrived, it's been two weeks"
ASK_FOR_A_PERSON = "I want to talk to a person"
QUEUE_CHOICES = ["I'll wait", "Leave my email", "Carry on with the assistant"]
DEFAULT_SUBTITLE = "We usually reply in seconds"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"


@pytest.fixture(autouse=True)
def built_widget(widget_bundle: Path) -> Path:
    """Every test here needs the built bundle (the gateway serves it as /widget.js)."""
    return widget_bundle


async def handed_to_maria(widget: ChatWidget, maria: AgentClient) -> str:
    """Complain about billing, confirm, ask for a person (routing picks Maria, who is
    online), and let Maria claim the chat; its chat id (how agents name it)."""
    await widget.say(BILLING_COMPLAINT)
    await widget.say("yes")
    await widget.say(ASK_FOR_A_PERSON)
    await expect(
        widget.of_kind("bot").filter(has_text="Maria from our billing team")
    ).to_have_count(1)
    status, queue = await maria.call("GET", "/api/agent/queue")
    assert status == 200 and len(queue) == 1, queue
    chat = str(queue[0]["chat_id"])
    status, body = await maria.call("POST", f"/api/agent/chats/{chat}/claim")
    assert status == 200, body
    joined = widget.of_kind("handoff").filter(has_text="Maria from our billing team has joined")
    await expect(joined).to_have_count(1)
    return chat


async def agent_says(maria: AgentClient, chat: str, text: str) -> None:
    status, body = await maria.call("POST", f"/api/agent/chats/{chat}/messages", {"text": text})
    assert status == 201, body


async def image_loaded(widget: ChatWidget, selector: str) -> bool:
    """Whether the image loads (waits for it): a broken avatar would fail ``decode()``."""
    return bool(
        await widget.panel.locator(selector).first.evaluate(
            "(img) => img.decode().then(() => img.naturalWidth > 0, () => false)"
        )
    )


# --- A whole conversation ------------------------------------------------------------


async def test_a_complaint_conversation_on_the_demo_page(
    page: Page, page_log: PageLog, stack: Stack, clean_desk: redis.Redis
) -> None:
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))

    # Closed at first: only the launcher, no unread messages.
    await expect(widget.launcher).to_be_visible()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    await expect(widget.launcher).to_have_attribute("aria-label", re.compile("^Open chat"))
    await expect(widget.badge).to_be_hidden()
    await expect(widget.panel).to_be_hidden()

    await widget.launcher.click()
    await expect(widget.panel).to_be_visible()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    await expect(widget.launcher).to_have_attribute("aria-label", "Close chat")
    await widget.connected()
    await expect(widget.title).to_have_text("Northwind Help")  # the tag's data-title
    await expect(widget.subtitle).to_have_text(DEFAULT_SUBTITLE)
    greeting = widget.of_kind("greeting")
    await expect(greeting).to_have_count(1)
    await expect(greeting).to_contain_text("I'm the Northwind assistant")  # data-greeting
    assert await greeting.get_attribute("data-seq") is None

    await widget.say(PARCEL_COMPLAINT)
    await expect(widget.of_kind("bot").filter(has_text="rug").last).to_contain_text("two weeks")
    await widget.say("yes")
    await widget.say(ASK_FOR_A_PERSON)

    # Nobody is online: the bot says so and offers three choices as quick replies.
    await expect(widget.of_kind("bot").last).to_contain_text("Nobody from the team is online")
    await expect(widget.quick_replies).to_have_text(QUEUE_CHOICES)
    await expect(widget.subtitle).to_have_text(re.compile("queue|next in line", re.IGNORECASE))
    await shot(page, "widget-open-conversation")

    visitors_before = await widget.of_kind("visitor").count()
    await widget.quick_replies.filter(has_text="Carry on with the assistant").click()
    await expect(widget.quick_replies).to_have_count(0)
    chosen = widget.of_kind("visitor").nth(visitors_before)
    await expect(chosen).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    await expect(widget.input).to_be_focused()
    # Back with the bot, which picks the open complaint up again.
    await widget.reply_after(int(await chosen.get_attribute("data-seq") or 0))
    await expect(widget.subtitle).to_have_text(DEFAULT_SUBTITLE)
    await widget.assert_in_order_once()
    await expect(widget.messages.locator("li[data-pending]")).to_have_count(0)
    assert not page_log.errors, page_log.errors


async def test_a_reload_keeps_the_conversation(page: Page, stack: Stack) -> None:
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    await widget.say(PARCEL_COMPLAINT)
    before = await widget.assert_in_order_once()
    recorded = [entry for entry in before if entry.seq is not None]
    assert [entry.kind for entry in recorded][:2] == ["visitor", "bot"], before

    await page.reload()
    await widget.open()
    await expect(widget.messages.locator("li.entry[data-seq]")).to_have_count(len(recorded))
    after = await widget.assert_in_order_once()
    assert [entry for entry in after if entry.seq is not None] == recorded

    # The conversation goes on where it was: the bot knows what "yes" confirms.
    await widget.say("yes")
    await expect(widget.of_kind("bot").filter(has_text="late delivery")).to_have_count(1)
    await widget.assert_in_order_once()
    assert await widget.entry("visitor", PARCEL_COMPLAINT).count() == 1


# --- People ----------------------------------------------------------------------------


async def test_an_agent_takes_over_with_her_name_and_avatar(
    page: Page, stack: Stack, clean_desk: redis.Redis, agent_consoles: Agents
) -> None:
    maria = await agent_consoles("maria")
    await maria.connect_socket()  # present (online) while the console is connected
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    chat = await handed_to_maria(widget, maria)

    # Her picture is addressed by an opaque avatar id, never by her login id.
    avatar_src = re.compile(rf"/console/avatars/{avatar_of('maria')}\.svg$")
    await expect(widget.subtitle).to_have_text("Maria · billing")
    await expect(widget.agent_avatar).to_be_visible()
    await expect(widget.agent_avatar).to_have_attribute("src", avatar_src)
    assert await image_loaded(widget, "img.agent-avatar")

    status, _ = await maria.call("POST", f"/api/agent/chats/{chat}/typing", {"typing": True})
    assert status == 200
    await expect(widget.typing).to_be_visible()
    await expect(widget.typing).to_contain_text("Maria")

    hello = "Hi, I'm Maria. I can see the double charge on order 61234."
    await agent_says(maria, chat, hello)
    said = widget.entry("agent", hello)
    await expect(said).to_have_count(1)
    await expect(said.locator("span.sender")).to_have_text("Maria")
    await expect(said.locator("img.avatar")).to_have_attribute("src", avatar_src)
    assert await image_loaded(widget, "li.entry[data-kind=agent] img.avatar")
    await shot(page, "widget-agent-joined")

    # The visitor's answer reaches Maria's console, and the bot stays silent.
    answered = await widget.send_recorded("thanks, it was charged on Monday")
    entry = await maria.next_event("entry", chat_id=chat, event="visitor_uttered")
    assert entry["data"]["text"] == "thanks, it was charged on Monday"

    # Closed panel: Maria's next message shows as an unread badge on the launcher.
    await widget.minimise.click()
    await expect(widget.panel).to_be_hidden()
    await agent_says(maria, chat, "I've refunded the second charge.")
    await expect(widget.badge).to_be_visible()
    await expect(widget.badge).to_have_text("1")
    await expect(widget.launcher).to_have_attribute("aria-label", re.compile("^Open chat"))
    await shot(page, "widget-launcher-with-badge")
    await widget.launcher.click()
    await expect(widget.badge).to_be_hidden()
    await expect(widget.entry("agent", "I've refunded the second charge.")).to_be_visible()
    entries = await widget.assert_in_order_once()
    assert not [e for e in entries if e.kind == "bot" and (e.seq or 0) > answered], entries


async def test_hostile_text_from_visitor_and_agent_is_shown_as_text(
    page: Page, stack: Stack, clean_desk: redis.Redis, agent_consoles: Agents
) -> None:
    maria = await agent_consoles("maria")
    await maria.connect_socket()
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    chat = await handed_to_maria(widget, maria)

    for text in (XSS_IMG, XSS_SCRIPT):
        await widget.send_recorded(text)
        await expect(widget.entry("visitor", text)).to_have_count(1)
    link = "https://example.com/help?order=61234"
    for text in (XSS_IMG, XSS_SCRIPT, f"Details are at {link} for you", "javascript:alert(1)"):
        await agent_says(maria, chat, text)
    await expect(widget.entry("agent", XSS_IMG)).to_have_count(1)
    await expect(widget.entry("agent", XSS_SCRIPT)).to_have_count(1)
    await expect(widget.entry("agent", "javascript:alert(1)")).to_have_count(1)

    anchor = widget.of_kind("agent").locator(f'div.bubble a[href="{link}"]')
    await expect(anchor).to_have_count(1)
    await expect(anchor).to_have_attribute("target", "_blank")
    await expect(anchor).to_have_attribute("rel", re.compile(r"(^|\s)noopener(\s|$)"))
    bubbles = widget.messages.locator("div.bubble")
    await expect(bubbles.locator("img")).to_have_count(0)
    await expect(bubbles.locator("script")).to_have_count(0)
    await expect(widget.messages.locator('a[href^="javascript:" i]')).to_have_count(0)
    assert await page.evaluate("() => window.__xss") is None
    assert await page.evaluate("() => typeof window.__xss") == "undefined"


# --- Keyboard, accessibility, small screens --------------------------------------------


async def launcher_has_focus(widget: ChatWidget) -> bool:
    return bool(
        await widget.launcher.evaluate(
            "(el) => el.getRootNode().activeElement === el"
            " && document.activeElement === el.getRootNode().host"
        )
    )


async def test_keyboard_only(page: Page, stack: Stack) -> None:
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await expect(widget.launcher).to_be_visible()

    for _ in range(30):  # the shop's own links and buttons come first
        await page.keyboard.press("Tab")
        if await launcher_has_focus(widget):
            break
    assert await launcher_has_focus(widget), "Tab never reached the launcher"

    await page.keyboard.press("Enter")
    await expect(widget.panel).to_be_visible()
    await expect(widget.input).to_be_focused()
    await widget.connected()

    await page.keyboard.type("hello")
    await page.keyboard.press("Enter")
    await expect(widget.entry("visitor", "hello")).to_have_count(1)
    await expect(widget.of_kind("bot")).not_to_have_count(0)
    await expect(widget.input).to_have_value("")

    # Shift+Enter is a new line, not a send.
    await page.keyboard.type("my rug never came")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("order 48213")
    await expect(widget.input).to_have_value("my rug never came\norder 48213")
    assert await widget.of_kind("visitor").count() == 1
    await page.keyboard.press("Enter")
    await expect(widget.of_kind("visitor")).to_have_count(2)
    await expect(widget.of_kind("visitor").last.locator("div.bubble")).to_contain_text(
        "order 48213"
    )

    await page.keyboard.press("Escape")
    await expect(widget.panel).to_be_hidden()
    await expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    assert await launcher_has_focus(widget), "focus did not go back to the launcher"


async def open_chat_violations(page: Page, stack: Stack) -> list[dict[str, Any]]:
    """axe's serious and critical findings in the widget, panel open, with messages."""
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    await widget.say(PARCEL_COMPLAINT)
    return await axe_violations(page, HOST)


def described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}): {v['nodes']}" for v in violations)


async def test_axe_finds_no_serious_problems_in_the_open_chat(page: Page, stack: Stack) -> None:
    violations = await open_chat_violations(page, stack)
    assert not violations, described(violations)


async def test_on_a_phone_the_open_panel_fills_the_screen(page: Page, stack: Stack) -> None:
    await page.set_viewport_size({"width": 375, "height": 700})
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    box = await widget.panel.bounding_box()
    assert box is not None
    assert (round(box["x"]), round(box["y"])) == (0, 0), box
    assert (round(box["width"]), round(box["height"])) == (375, 700), box
    await expect(widget.input).to_be_in_viewport(ratio=1)
    await expect(widget.send_button).to_be_in_viewport(ratio=1)

    await widget.say(PARCEL_COMPLAINT)
    await widget.say("yes")
    await expect(widget.input).to_be_in_viewport(ratio=1)
    await expect(widget.of_kind("bot").last).to_be_in_viewport()
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways ({width} px wide)"
    await shot(page, "widget-narrow")


# --- Other sites ---------------------------------------------------------------------


def socket_attempts(page: Page) -> list[str]:
    """URLs of the page's socket.io requests and websockets, as they happen."""
    seen: list[str] = []

    def on_request(request: Request) -> None:
        if "/socket.io/" in request.url:
            seen.append(request.url)

    def on_websocket(socket: WebSocket) -> None:
        seen.append(socket.url)

    page.on("request", on_request)
    page.on("websocket", on_websocket)
    return seen


async def test_on_an_allowed_site_the_widget_talks_to_the_gateway(
    page: Page, host_pages: HostPages
) -> None:
    attempts = socket_attempts(page)
    widget = ChatWidget(page)
    await page.goto(host_pages.url("widget-host.html"))
    await widget.open()
    await expect(widget.title).to_have_text("Help with your order")
    await widget.say(PARCEL_COMPLAINT)
    await expect(widget.of_kind("bot").filter(has_text="rug")).not_to_have_count(0)
    gateway = host_pages.gateway_urls[0].split("://", 1)[1]
    assert any(f"{gateway}/socket.io/" in url for url in attempts), attempts


async def test_on_a_refused_site_the_widget_never_connects(
    page: Page, host_pages: HostPages
) -> None:
    attempts = socket_attempts(page)
    refusals: list[str] = []

    def on_socket_error(error: str) -> None:
        refusals.append(error)

    def on_websocket(socket: WebSocket) -> None:
        socket.on("socketerror", on_socket_error)

    page.on("websocket", on_websocket)
    widget = ChatWidget(page)
    await page.goto(host_pages.url("widget-host.html", allowed=False))
    await expect(widget.launcher).to_be_visible()
    # Every value data-connection takes from now on.
    await widget.panel.evaluate(
        """(panel) => {
            window.__connectionStates = [panel.dataset.connection];
            new MutationObserver(() => window.__connectionStates.push(panel.dataset.connection))
                .observe(panel, {attributes: true, attributeFilter: ["data-connection"]});
        }"""
    )
    await widget.launcher.click()
    await expect(widget.panel).to_be_visible()
    await widget.send(PARCEL_COMPLAINT)
    await expect(widget.of_kind("visitor")).to_have_count(1)
    await page.wait_for_timeout(4000)  # what is asserted is that nothing happens

    states = await page.evaluate("() => window.__connectionStates")
    assert "connected" not in states, states
    await expect(widget.panel).not_to_have_attribute("data-connection", "connected")
    assert await widget.messages.locator("li[data-kind=bot]").count() == 0
    assert await widget.messages.locator("li[data-seq]").count() == 0
    await expect(widget.of_kind("visitor")).to_have_attribute("data-pending", "true")
    assert attempts, "the widget never tried to reach the gateway"
    # The gateway refused the handshakes (400: not an accepted origin), rather than,
    # say, the widget trying a wrong address.
    assert refusals and all("400" in error for error in refusals), refusals


# --- A lost connection -----------------------------------------------------------------


async def test_a_message_typed_while_the_connection_is_lost_is_sent_on_return(
    page: Page, stack: Stack
) -> None:
    gateway = 1  # this test stops and restarts the second gateway
    port = stack.config.gateway_ports[gateway]
    part = f"gateway-{port}"
    widget = ChatWidget(page)
    await page.goto(demo_url(stack, gateway))
    await widget.open()
    await widget.say(PARCEL_COMPLAINT)

    await asyncio.to_thread(stack.stop_part, part)
    try:
        await expect(widget.panel).to_have_attribute("data-connection", "reconnecting")
        await expect(widget.connection).to_be_visible()
        await expect(widget.connection).to_contain_text("Reconnecting…")
        await widget.send("yes")
        offline = widget.entry("visitor", "yes")
        await expect(offline).to_have_count(1)
        await expect(offline).to_have_attribute("data-pending", "true")
        assert await offline.get_attribute("data-seq") is None
        await shot(page, "widget-reconnecting")
    finally:
        if not any(managed.name == part for managed in stack.processes):
            await asyncio.to_thread(stack.start_gateway, port)

    await widget.connected()
    await expect(widget.connection).to_be_hidden()
    sent = widget.entry("visitor", "yes")
    await expect(sent).to_have_count(1)
    await expect(sent).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    await expect(widget.messages.locator("li[data-pending]")).to_have_count(0)
    seq = int(await sent.get_attribute("data-seq") or 0)
    entries = await widget.assert_in_order_once()
    assert [e.kind for e in entries if e.seq is not None and e.seq < seq][-1] == "bot", entries
    await widget.reply_after(seq)  # the bot answers the message that waited
    await expect(widget.of_kind("bot").filter(has_text="late delivery")).to_have_count(1)
    await widget.assert_in_order_once()
    assert await widget.entry("visitor", "yes").count() == 1


# --- The end of a chat -----------------------------------------------------------------


async def test_the_transcript_can_be_downloaded(page: Page, stack: Stack) -> None:
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    await widget.say(PARCEL_COMPLAINT)
    restated = (await widget.of_kind("bot").last.locator("div.bubble").text_content()) or ""
    async with page.expect_download() as download_info:
        await widget.download.click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".txt"), download.suggested_filename
    path = await download.path()
    text = Path(path).read_text(encoding="utf-8")
    assert PARCEL_COMPLAINT in text and restated.strip() in text, text


async def test_ending_the_chat_asks_for_a_rating_then_offers_a_new_one(
    page: Page, stack: Stack
) -> None:
    widget = ChatWidget(page)
    await page.goto(demo_url(stack))
    await widget.open()
    await widget.say(PARCEL_COMPLAINT)

    await widget.end_chat.click()
    await expect(widget.rating).to_be_visible()
    scores = widget.rating.locator("input[name=score]")
    await expect(scores).to_have_count(5)
    assert [await scores.nth(i).get_attribute("value") for i in range(5)] == list("12345")
    await scores.nth(3).check()
    await widget.rating.locator("textarea.rating-comment").fill("Quick and kind.")
    await widget.rating.locator("button.rating-submit").click()
    await expect(widget.rating_thanks).to_be_visible()
    await expect(widget.rating).to_be_hidden()

    await widget.new_chat.click()
    await expect(widget.messages.locator("li[data-seq]")).to_have_count(0)
    await expect(widget.entry("visitor", PARCEL_COMPLAINT)).to_have_count(0)
    await widget.connected()
    await widget.say("hello")
    entries = [entry for entry in await widget.assert_in_order_once() if entry.seq is not None]
    assert entries[0].kind == "visitor" and exactly("hello").match(entries[0].text), entries
