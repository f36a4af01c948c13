"""The agents' console in a real browser against the real stack: signing in and out, the
live queue seen by two agents on two gateways, a claimed chat with its packet and
transcript, messages and typing both ways, private notes, a transfer, a hand-back,
hostile customer text, the pages' Content-Security-Policy and canned replies.

Each agent works in a browser context of their own (own cookies); the visitor is either
the website widget on the demo page (the test's ``page``) or a socket.io client.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
import redis.asyncio as redis
import yaml
from playwright.async_api import Browser, BrowserContext, Error, Page, expect

from bot.stack import Stack
from tests.conftest import ROOT
from tests.e2e.browser.conftest import REPORTS_KEY, TIMEOUT_MS, PageLog, shot
from tests.e2e.browser.console_page import (
    CONSOLE_URL,
    LOGIN_URL,
    ConsolePage,
    DemoWidget,
    LoginPage,
    console_url,
    exactly,
    login_url,
)
from tests.e2e.handoff_helpers import ask_for_a_person, next_event_where
from tests.e2e.visitor import Visitor

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

OpenConsole = Callable[..., Awaitable[ConsolePage]]
NewVisitor = Callable[[], Awaitable[Visitor]]

COMPLAINT = "I was charged twice for order #48213"
ORDER = "48213"
ASK_FOR_A_PERSON = "I want to talk to a person"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"


# --- Fixtures: consoles in contexts of their own, socket visitors ---------------------


@pytest_asyncio.fixture(loop_scope="session")
async def consoles(
    browser: Browser, stack: Stack, clean_desk: redis.Redis, request: pytest.FixtureRequest
) -> AsyncIterator[OpenConsole]:
    """``await consoles("maria", gateway=1)``: a console signed in (and live) as that
    agent, in a browser context of its own; ``consoles()`` one not signed in. When the
    test fails, each console's screen is saved as ``FAILED-<test>-<agent>.png``."""
    made: list[tuple[BrowserContext, ConsolePage, str]] = []

    async def open_console(agent_id: str | None = None, gateway: int = 0) -> ConsolePage:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        console = ConsolePage(await context.new_page(), stack.config.gateway_urls[gateway])
        made.append((context, console, agent_id or f"console{len(made)}"))
        if agent_id is not None:
            await console.log_in(agent_id)
        return console

    yield open_console
    call = request.node.stash.get(REPORTS_KEY, {}).get("call")
    for context, console, name in made:
        if call is not None and call.failed:
            try:
                path = await shot(console.page, f"FAILED-{request.node.name}-{name}")
                print(f"\nscreenshot of {name}'s console: {path}")
            except Error as error:
                print(f"\nno screenshot of {name}'s console: {error}")
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def new_visitor(stack: Stack) -> AsyncIterator[NewVisitor]:
    """``await new_visitor()``: a connected protocol-1 visitor on the first gateway,
    closed after the test."""
    made: list[Visitor] = []

    async def connect() -> Visitor:
        visitor = Visitor(stack.config.gateway_urls[0])
        made.append(visitor)
        await visitor.connect()
        return visitor

    yield connect
    for visitor in made:
        await visitor.close()


async def handed_off(new_visitor: NewVisitor) -> Visitor:
    """A visitor who complained about a double charge, confirmed it and asked for a
    person (routing picks Maria when she is online): queued."""
    visitor = await new_visitor()
    queued = await ask_for_a_person(visitor, COMPLAINT)
    assert queued["position"] == 1, queued
    return visitor


async def claimed_by_maria(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> tuple[ConsolePage, Visitor]:
    """Maria's console with a handed-off visitor's chat claimed and open."""
    maria = await consoles("maria")
    visitor = await handed_off(new_visitor)
    await maria.claim(visitor.chat_id)
    await next_event_where(visitor, "handoff", state="assigned")
    return maria, visitor


async def packet_facts(console: ConsolePage) -> dict[str, str]:
    """The packet's ``dl.entities`` as label → value."""
    pairs = await console.packet.locator("dl.entities").evaluate(
        """(dl) => [...dl.querySelectorAll("dt")].map(
            (dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]
        )"""
    )
    return dict(pairs)


# --- Signing in ----------------------------------------------------------------------


async def test_signing_in_with_a_wrong_then_the_right_password(
    page: Page, page_log: PageLog, stack: Stack, clean_desk: redis.Redis
) -> None:
    gateway = stack.config.gateway_urls[0]
    # Not signed in: the console sends the browser to the login page.
    await page.goto(console_url(gateway))
    await expect(page).to_have_url(LOGIN_URL)
    login = LoginPage(page)
    await expect(login.form).to_be_visible()
    await expect(login.error).to_be_hidden()
    await expect(login.agent_id).to_be_focused()
    await shot(page, "console-login")

    await login.sign_in("maria", "not-marias-password")
    await expect(login.error).to_be_visible()
    await expect(login.error).to_have_text("That agent id and password don't match.")
    await expect(login.password).to_have_value("")
    await expect(page).to_have_url(LOGIN_URL)

    await login.sign_in("maria", "maria-demo-pass")
    await expect(page).to_have_url(CONSOLE_URL)
    await expect(page.locator("#agent-name")).to_have_text("Maria Lopez")
    await expect(page.locator("select#status")).to_have_value("online")
    await expect(page.locator("#queue-empty")).to_be_visible()
    # Signed in, the login page goes straight on to the console.
    await page.goto(login_url(gateway))
    await expect(page).to_have_url(CONSOLE_URL)
    await expect(page.locator("#agent-name")).to_have_text("Maria Lopez")
    blocked = [line for line in page_log.console if "Content Security Policy" in line]
    assert not blocked and not page_log.errors, page_log


# --- The queue, live on two consoles -------------------------------------------------


async def test_a_handoff_shows_in_every_queue_live_and_goes_to_the_agent_it_is_reserved_for(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria = await consoles("maria")
    tom = await consoles("tom", gateway=1)  # on the other gateway
    for console in (maria, tom):
        await expect(console.queue_empty).to_be_visible()
        await expect(console.queue_items).to_have_count(0)

    visitor = await handed_off(new_visitor)
    chat = visitor.chat_id
    for console in (maria, tom):
        item = console.queue_item(chat)
        await expect(item).to_be_visible()
        await expect(item.locator(".summary")).to_contain_text(ORDER)
        await expect(item.locator(".category")).to_have_text("billing")
        await expect(item.locator(".waiting")).to_have_text("waiting < 1 min")
        await expect(console.queue_empty).to_be_hidden()
    # The customer was told Maria will join: only she may claim it for now.
    await expect(maria.queue_item(chat).locator("button.claim")).to_be_enabled()
    await expect(tom.queue_item(chat).locator("button.claim")).to_be_disabled()
    await expect(maria.queue_item(chat)).to_have_class(re.compile(r"\bfor-me\b"))
    await expect(tom.queue_item(chat)).not_to_have_class(re.compile(r"\bfor-me\b"))
    await shot(maria.page, "console-queue-waiting")

    await maria.claim(chat)
    # Gone from Tom's queue without a reload; in Maria's chats, open.
    await expect(tom.queue_item(chat)).to_have_count(0)
    await expect(tom.queue_empty).to_be_visible()
    await expect(tom.chat_items).to_have_count(0)
    await expect(maria.queue_items).to_have_count(0)
    await expect(maria.chat_item(chat)).to_be_visible()
    await expect(maria.chat_item(chat)).to_have_attribute("aria-current", "true")
    joined = await next_event_where(visitor, "handoff", state="assigned")
    assert joined["agent"]["name"] == "Maria", joined

    # The packet, pinned above the transcript.
    await expect(maria.packet.locator(".restated")).to_contain_text(ORDER)
    await expect(maria.packet.locator(".confirmed")).to_have_class(re.compile(r"\byes\b"))
    facts = await packet_facts(maria)
    assert facts["Category"] == "billing" and facts["Order"] == ORDER, facts
    await expect(maria.packet.locator(".limits, .fixes").first).to_be_visible()

    # The transcript: the customer's and the bot's turns told apart.
    complaint = maria.entry("visitor", COMPLAINT)
    await expect(complaint).to_have_count(1)
    await expect(complaint.locator(".who")).to_contain_text("Customer")
    await expect(maria.entry("visitor", "yes")).to_have_count(1)
    await expect(maria.entry("visitor", ASK_FOR_A_PERSON)).to_have_count(1)
    bot = maria.of_kind("bot")
    await expect(bot.first).to_be_visible()
    await expect(bot.first.locator(".who")).to_contain_text("Bot")
    seqs = [
        int(s) for s in await maria.entries.evaluate_all("(li) => li.map((e) => e.dataset.seq)")
    ]
    assert seqs == sorted(set(seqs)), seqs
    # The "joined" line is a handoff line, whether it came live or with the transcript.
    await expect(maria.of_kind("handoff").filter(has_text="joined")).to_have_count(1)
    await expect(maria.of_kind("system").filter(has_text="joined")).to_have_count(0)
    await shot(maria.page, "console-open-chat-with-packet")


# --- Talking -------------------------------------------------------------------------


async def test_messages_and_typing_go_both_ways_between_console_and_widget(
    page: Page, stack: Stack, consoles: OpenConsole
) -> None:
    maria = await consoles("maria")
    widget = DemoWidget(page)
    await widget.open(stack.config.gateway_urls[0])
    for text in (COMPLAINT, "yes", ASK_FOR_A_PERSON):
        await widget.say(text)
    chat = await maria.only_queued_chat()
    await maria.claim(chat)
    await expect(widget.of_kind("handoff").filter(has_text="has joined")).to_have_count(1)

    # Maria → visitor: her typing, then her message, with her name.
    await maria.reply_text.press_sequentially("Hi")
    await expect(widget.typing).to_be_visible()
    await expect(widget.typing).to_contain_text("Maria")
    hello = "Hi, I'm Maria. I can see the second charge on order 48213."
    await maria.reply_text.fill("")
    await maria.reply(hello)
    said = widget.of_kind("agent").filter(has_text=hello)
    await expect(said).to_have_count(1)
    await expect(said.locator("span.sender")).to_have_text("Maria")

    # Visitor → Maria: typing shows live, the message lands in her transcript.
    answer = "thanks, the second charge was $40 on Monday"
    await widget.input.fill(answer)
    await expect(maria.visitor_typing).to_be_visible()
    await widget.input.press("Enter")
    await expect(maria.entry("visitor", answer)).to_have_count(1)
    await expect(maria.visitor_typing).to_be_hidden()
    await expect(maria.chat_item(chat).locator("span.unread")).to_be_hidden()
    await expect(widget.of_kind("bot").filter(has_text=answer)).to_have_count(0)


async def test_a_private_note_stays_with_the_agents(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria, visitor = await claimed_by_maria(consoles, new_visitor)
    note = "Second charge confirmed in the payment log, refund approved"
    await maria.add_note(note)
    added = maria.notes.filter(has_text=note)
    await expect(added.locator(".who")).to_contain_text("Maria Lopez")
    await expect(maria.note_text).to_have_value("")

    # A message sent after the note reaches the visitor; the note never does.
    await maria.reply("One moment please, I'm checking the payment.")
    await next_event_where(
        visitor, "bot_uttered", text="One moment please, I'm checking the payment."
    )
    history = await visitor.history()
    everything = json.dumps([visitor.received, history])
    assert "refund approved" not in everything, everything
    await expect(maria.entries.filter(has_text="refund approved")).to_have_count(0)


# --- Passing the chat on -------------------------------------------------------------


async def test_a_transfer_moves_the_chat_with_its_notes_to_a_colleague_live(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria, visitor = await claimed_by_maria(consoles, new_visitor)
    tom = await consoles("tom", gateway=1)
    chat = visitor.chat_id
    await maria.add_note("Refunded the double charge already")
    await maria.transfer_button.click()
    # Only colleagues are offered, and only those online can be picked.
    await expect(maria.transfer_to.locator('option[value="maria"]')).to_have_count(0)
    await expect(maria.transfer_to.locator('option[value="tom"]')).to_be_enabled()
    await expect(maria.transfer_to.locator('option[value="priya"]')).to_be_disabled()
    await maria.transfer_button.click()  # closes the form again
    await expect(maria.transfer_form).to_be_hidden()
    await maria.transfer("tom", note="She also asks where the replacement parcel is")

    # Gone from Maria's console, live in Tom's (on the other gateway), opened.
    await expect(maria.chat_item(chat)).to_have_count(0)
    await expect(maria.chat).to_be_hidden()
    await expect(tom.chat_item(chat)).to_be_visible()
    await tom.opened(chat)
    moved = await next_event_where(visitor, "handoff", state="transferred")
    assert moved["agent"]["name"] == "Tom" and moved["from_agent"]["name"] == "Maria", moved

    # Tom has what Maria knew: her notes, the packet and the whole conversation.
    await expect(tom.notes).to_have_count(2)
    await expect(tom.notes.filter(has_text="Refunded the double charge already")).to_have_count(1)
    transfer_note = tom.notes.filter(has_text="where the replacement parcel is")
    await expect(transfer_note.locator(".who")).to_contain_text("Maria Lopez")
    await expect(tom.packet.locator(".restated")).to_contain_text(ORDER)
    await expect(tom.entry("visitor", COMPLAINT)).to_have_count(1)
    await expect(tom.of_kind("bot").first).to_be_visible()
    await shot(tom.page, "console-after-transfer")

    await tom.reply("Hi, Tom here: I'll track the replacement for you.")
    said = await next_event_where(
        visitor, "bot_uttered", text="Hi, Tom here: I'll track the replacement for you."
    )
    assert said["sender"]["kind"] == "agent" and said["sender"]["name"] == "Tom", said


async def test_handing_back_as_resolved_lets_the_bot_answer_again(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria, visitor = await claimed_by_maria(consoles, new_visitor)
    chat = visitor.chat_id
    await maria.reply("I've refunded the second charge.")
    await maria.hand_back("resolved", note="refunded $40")
    await expect(maria.chat_item(chat)).to_have_count(0)
    await expect(maria.chat).to_be_hidden()

    back = await next_event_where(visitor, "handoff", state="handed_back")
    assert back["resume_point"] == "resolved", back
    wrap_up = await visitor.bot_turn()
    assert wrap_up and re.search("glad", wrap_up[-1], re.IGNORECASE), wrap_up
    replies = await visitor.say("where is my parcel for order 77812?")
    assert replies, "the bot answers again after the hand-back"
    last = [data for event, data in visitor.received if event == "bot_uttered"][-1]
    assert last["sender"]["kind"] == "bot", last


# --- Signing out ---------------------------------------------------------------------


async def test_logging_out_ends_the_session_for_good(stack: Stack, consoles: OpenConsole) -> None:
    maria = await consoles("maria")
    page = maria.page
    gateway = stack.config.gateway_urls[0]
    queue_url = f"{gateway}/api/agent/queue"
    before = await page.request.get(queue_url)
    assert before.status == 200
    session_cookies = await page.context.cookies(gateway)
    assert [cookie["name"] for cookie in session_cookies] == ["agent_session"], session_cookies

    await maria.logout.click()
    await expect(page).to_have_url(LOGIN_URL)
    await expect(page.locator("form#login")).to_be_visible()
    after = await page.request.get(queue_url)
    assert after.status == 401, await after.text()
    # The old cookie itself is dead on the server, not only dropped by the browser.
    await page.context.add_cookies(session_cookies)  # type: ignore[arg-type]
    replayed = await page.request.get(queue_url)
    assert replayed.status == 401, await replayed.text()
    await page.goto(console_url(gateway))
    await expect(page).to_have_url(LOGIN_URL)


async def test_log_out_everywhere_ends_the_agents_other_consoles_too(
    stack: Stack, consoles: OpenConsole
) -> None:
    laptop = await consoles("maria")
    phone = await consoles("maria", gateway=1)
    queue_url = f"{stack.config.gateway_urls[1]}/api/agent/queue"
    assert (await phone.page.request.get(queue_url)).status == 200

    await laptop.logout_everywhere.click()
    await expect(laptop.page).to_have_url(LOGIN_URL)
    # The other console's session ended too: its socket is closed and it goes to login.
    await expect(phone.page).to_have_url(LOGIN_URL)
    after = await phone.page.request.get(queue_url)
    assert after.status == 401, await after.text()


# --- Safety --------------------------------------------------------------------------


async def test_customer_text_is_shown_as_text(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria, visitor = await claimed_by_maria(consoles, new_visitor)
    for number, text in enumerate((XSS_IMG, XSS_SCRIPT)):
        await visitor.send({"message": text, "client_message_id": f"xss{number}"})
        await expect(maria.entry("visitor", text)).to_have_count(1)
    await expect(maria.chat_item(visitor.chat_id).locator(".last")).to_have_text(
        exactly(XSS_SCRIPT)
    )
    await expect(maria.transcript.locator("img, script")).to_have_count(0)
    await asyncio.sleep(0.3)  # time for an injected image's onerror, were there one
    assert await maria.page.evaluate("() => window.__xss") is None


async def test_console_pages_carry_a_strict_content_security_policy(
    page: Page, stack: Stack
) -> None:
    gateway = stack.config.gateway_urls[0]
    for url in (console_url(gateway), login_url(gateway)):
        response = await page.request.get(url)
        assert response.status == 200, url
        policy = response.headers.get("content-security-policy", "")
        directives = {
            part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()
        }
        assert directives.get("script-src") == ["'self'"], (url, policy)
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (url, policy)
        assert directives.get("frame-ancestors") == ["'none'"], (url, policy)
    # The browser gets it too, on the page it actually loads.
    loaded = await page.goto(login_url(gateway))
    assert loaded is not None
    assert "script-src 'self'" in (await loaded.all_headers())["content-security-policy"]


# --- Canned replies ------------------------------------------------------------------


def canned_text(title: str, first_name: str) -> str:
    replies = yaml.safe_load((ROOT / "canned_replies.yml").read_text())["replies"]
    text = next(reply["text"] for reply in replies if reply["title"] == title)
    return str(text).replace("{agent}", first_name)


async def test_a_canned_reply_fills_the_reply_box_with_the_agents_name(
    consoles: OpenConsole, new_visitor: NewVisitor
) -> None:
    maria, visitor = await claimed_by_maria(consoles, new_visitor)
    titles = await maria.canned.locator("option").all_inner_texts()
    assert "Hello, I've read everything" in titles and len(titles) == 8, titles

    await maria.canned.select_option(label="Hello, I've read everything")
    hello = canned_text("Hello, I've read everything", "Maria")
    assert hello.startswith("Hi, this is Maria. ")
    await expect(maria.reply_text).to_have_value(hello)
    await expect(maria.reply_text).to_be_focused()
    await expect(maria.canned).to_have_value("")  # ready to pick again

    # A second pick adds to what is there; the agent can still edit before sending.
    await maria.canned.select_option(label="Anything else?")
    both = f"{hello} {canned_text('Anything else?', 'Maria')}"
    await expect(maria.reply_text).to_have_value(both)
    await maria.reply_text.press("Enter")
    await expect(maria.entry("agent", both)).to_have_count(1)
    said = await next_event_where(visitor, "bot_uttered", text=both)
    assert said["sender"]["name"] == "Maria", said
