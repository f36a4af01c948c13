// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { ChatEntry } from "../src/chat";
import { ChatSession } from "../src/chat";
import { readConfig } from "../src/config";
import { joiningLine, queueLine, repeatsTheBot, WidgetView } from "../src/view";
import { FakeTransport, MemoryStorage } from "./fakes";

function mounted(): { transport: FakeTransport; shadow: ShadowRoot; chat: ChatSession } {
  document.body.innerHTML = "";
  const host = document.createElement("div");
  document.body.append(host);
  const shadow = host.attachShadow({ mode: "open" });
  const transport = new FakeTransport();
  const { config } = readConfig(
    { src: "http://gateway.test/widget.js", dataset: { title: "Help", greeting: "" } },
    "http://shop.test/",
  );
  const chat = new ChatSession(transport, new MemoryStorage(), { storageKey: "k" });
  new WidgetView(shadow, config, chat);
  chat.start();
  transport.connectNow();
  transport.fire("session_confirm", "s1");
  transport.fire("session_state", {
    protocol: 1,
    session_id: "s1",
    resumed: false,
    last_seq: 0,
    owner: "bot",
    limits: { max_message_chars: 4000, rate_limit: { messages: 12, per_seconds: 20 } },
  });
  return { transport, shadow, chat };
}

const AT = "2026-11-23T10:00:00.000Z";
/** Agents reach visitors by an opaque avatar id, never their login id. */
const AVATAR_ID = "3f9a0c1d2e4b5a6978c1";

describe("the view", () => {
  it("renders markup in messages as text, and only http(s) links", () => {
    const { transport, shadow } = mounted();
    transport.fire("bot_uttered", {
      seq: 1,
      at: AT,
      sender: {
        kind: "agent",
        id: AVATAR_ID,
        name: "Maria",
        avatar_url: `/console/avatars/${AVATAR_ID}.svg`,
      },
      text: '<img src=x onerror="alert(1)"> see https://shop.test/a and javascript:alert(1)',
    });
    const bubble = shadow.querySelector("li.entry[data-kind=agent] .bubble");
    expect(bubble?.querySelector("img")).toBeNull();
    expect(bubble?.textContent).toContain('<img src=x onerror="alert(1)">');
    const links = [...(bubble?.querySelectorAll("a") ?? [])].map((link) => link.getAttribute("href"));
    expect(links).toEqual(["https://shop.test/a"]);
    const avatar = shadow.querySelector<HTMLImageElement>("li.entry[data-kind=agent] img.avatar");
    expect(avatar?.getAttribute("src")).toBe(`http://gateway.test/console/avatars/${AVATAR_ID}.svg`);
    expect(shadow.querySelector(".sender")?.textContent).toBe("Maria");
  });

  it("hides an agent's picture that does not load instead of showing it broken", () => {
    const { transport, shadow } = mounted();
    transport.fire("bot_uttered", {
      seq: 1,
      at: AT,
      sender: { kind: "agent", id: AVATAR_ID, name: "Maria", avatar_url: "/console/avatars/gone.svg" },
      text: "Hello again",
    });
    const avatar = shadow.querySelector<HTMLImageElement>("li.entry[data-kind=agent] img.avatar");
    expect(avatar?.hidden).toBe(false);
    avatar?.dispatchEvent(new Event("error"));
    expect(avatar?.hidden).toBe(true);
  });

  it("turns a pending message into its entry in place, once", () => {
    const { transport, shadow, chat } = mounted();
    chat.send("hello");
    const pending = shadow.querySelector("li.entry[data-pending=true]");
    expect(pending).not.toBeNull();
    const id = transport.sent("user_uttered")[0].client_message_id;
    transport.fire("visitor_uttered", { seq: 1, at: AT, text: "hello", client_message_id: id });
    const visitors = shadow.querySelectorAll("li.entry[data-kind=visitor]");
    expect(visitors).toHaveLength(1);
    expect(visitors[0].getAttribute("data-seq")).toBe("1");
    expect(visitors[0].hasAttribute("data-pending")).toBe(false);
  });

  it("names the person typing and hides the line when they stop", () => {
    const { transport, shadow } = mounted();
    const typing = shadow.querySelector<HTMLElement>("div.typing");
    transport.fire("typing", { sender: { kind: "agent", name: "Maria" }, typing: true });
    expect(typing?.hidden).toBe(false);
    expect(typing?.textContent).toContain("Maria is typing");
    transport.fire("typing", { sender: { kind: "agent", name: "Maria" }, typing: false });
    expect(typing?.hidden).toBe(true);
  });
});

describe("queueLine", () => {
  it("gives the place and, when known, the wait in minutes", () => {
    expect(queueLine(2, 170)).toBe("Number 2 in the queue · about 3 minutes");
    expect(queueLine(1, 20)).toBe("Number 1 in the queue · about 1 minute");
    expect(queueLine(1, null)).toBe("Number 1 in the queue");
    expect(queueLine(null, null)).toBe("Waiting for a colleague");
  });
});

describe("joiningLine", () => {
  it("names the person the chat is reserved for instead of a place in the queue", () => {
    expect(joiningLine("Tom")).toBe("Tom will join you in a moment");
    expect(joiningLine("Tom")).not.toMatch(/queue|Number/);
  });
});

describe("repeatsTheBot", () => {
  const queued = (reason?: string): ChatEntry => ({
    seq: 2,
    at: AT,
    kind: "handoff",
    text: "You're next in line.",
    handoff: { seq: 2, at: AT, state: "queued", ...(reason ? { reason } : {}) },
  });
  const bot: ChatEntry = { seq: 1, at: AT, kind: "bot", text: "Everyone is busy…" };
  const visitor: ChatEntry = { seq: 1, at: AT, kind: "visitor", text: "hi" };

  it("hides the queued line right after the bot explained the queue", () => {
    expect(repeatsTheBot(queued(), bot)).toBe(true);
  });

  it("hides a handoff line without text (the bot's own message announced the move)", () => {
    const silent: ChatEntry = { ...queued(), text: "" };
    expect(repeatsTheBot(silent, undefined)).toBe(true);
    expect(repeatsTheBot({ ...silent, handoff: { seq: 2, at: AT, state: "assigned" } }, bot)).toBe(true);
  });

  it("keeps it for a requeue and when no bot message comes before it", () => {
    expect(repeatsTheBot(queued("agent_offline"), bot)).toBe(false);
    expect(repeatsTheBot(queued(), visitor)).toBe(false);
    expect(repeatsTheBot(queued(), undefined)).toBe(false);
  });
});
