import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChatSession, randomId, type ChatOptions, type ChatSnapshot } from "../src/chat";
import type {
  AgentInfo,
  BotUttered,
  HandoffEvent,
  HandoffState,
  SessionState,
  VisitorUttered,
} from "../src/protocol";
import { FakeTransport, MemoryStorage, ThrowingStorage } from "./fakes";
import type { StorageLike } from "../src/chat";

const KEY = "cb-widget:test";
const AT = "2026-11-23T15:02:11.204Z";

const MARIA: AgentInfo = { id: "a1", name: "Maria", team: "billing", avatar_url: null };
const JONAS: AgentInfo = { id: "a2", name: "Jonas", team: "care", avatar_url: "https://x/j.png" };

interface Timer {
  callback: () => void;
  ms: number;
}

interface Harness {
  transport: FakeTransport;
  storage: StorageLike;
  chat: ChatSession;
  timers: Timer[];
  snapshots: ChatSnapshot[];
}

/** A ChatSession on a fake transport, with predictable message ids (m1, m2, …) and
 * timers the test fires by hand. */
function setup(storage: StorageLike = new MemoryStorage(), options: Partial<ChatOptions> = {}): Harness {
  const transport = new FakeTransport();
  const timers: Timer[] = [];
  let next = 0;
  const chat = new ChatSession(transport, storage, {
    storageKey: KEY,
    newId: () => `m${++next}`,
    setTimer: (callback, ms) => {
      timers.push({ callback, ms });
      return timers.length;
    },
    ...options,
  });
  const snapshots: ChatSnapshot[] = [];
  chat.subscribe((snapshot) => snapshots.push(snapshot));
  chat.start();
  return { transport, storage, chat, timers, snapshots };
}

function state(overrides: Partial<SessionState> = {}): SessionState {
  return {
    protocol: 1,
    session_id: "s1",
    resumed: false,
    last_seq: 0,
    owner: "bot",
    limits: { max_message_chars: 4000, rate_limit: { messages: 10, per_seconds: 10 } },
    ...overrides,
  };
}

/** Connects and completes the session handshake. */
function ready(h: Harness, sessionId = "s1", overrides: Partial<SessionState> = {}): void {
  h.transport.connectNow();
  h.transport.fire("session_confirm", sessionId);
  h.transport.fire("session_state", state({ session_id: sessionId, ...overrides }));
}

function bot(seq: number, text = `bot ${seq}`, extra: Partial<BotUttered> = {}): BotUttered {
  return { seq, at: AT, text, sender: { kind: "bot" }, ...extra };
}

function agentSays(seq: number, text = `agent ${seq}`, agent: AgentInfo = MARIA): BotUttered {
  return { seq, at: AT, text, sender: { kind: "agent", ...agent } };
}

function visitor(seq: number, text = `visitor ${seq}`, cmid: string | null = null): VisitorUttered {
  return { seq, at: AT, text, client_message_id: cmid };
}

function handoff(seq: number, stateName: HandoffState, extra: Partial<HandoffEvent> = {}): HandoffEvent {
  return { seq, at: AT, state: stateName, text: `handoff ${stateName}`, ...extra };
}

function seqs(h: Harness): number[] {
  return h.chat.snapshot().entries.map((entry) => entry.seq);
}

function stored(storage: StorageLike): Record<string, unknown> {
  const raw = storage.getItem(KEY);
  expect(raw).not.toBeNull();
  return JSON.parse(raw as string) as Record<string, unknown>;
}

describe("sessions", () => {
  it("connects on start and asks for a new session on first connect", () => {
    const h = setup();
    expect(h.transport.connectCalls).toBe(1);
    expect(h.transport.emitted).toEqual([]);
    h.transport.connectNow();
    expect(h.transport.emitted).toEqual([
      { event: "session_request", payload: { protocol: 1, session_id: null, last_seq: 0 } },
    ]);
    expect(h.chat.snapshot().connection).toBe("connected");
    expect(h.chat.snapshot().ready).toBe(false);
  });

  it("is 'connecting' before the first connection and not ready until session_state", () => {
    const h = setup();
    expect(h.chat.snapshot().connection).toBe("connecting");
    h.transport.connectNow();
    h.transport.fire("session_confirm", "s1");
    expect(h.chat.snapshot().ready).toBe(false);
    expect(h.chat.snapshot().sessionId).toBe("s1");
    h.transport.fire("session_state", state());
    expect(h.chat.snapshot().ready).toBe(true);
  });

  it("sends the verified identity when one is given", () => {
    const user = { id: "u-42", hash: "a".repeat(64) };
    const h = setup(new MemoryStorage(), { user });
    h.transport.connectNow();
    expect(h.transport.sent("session_request")).toEqual([
      { protocol: 1, session_id: null, last_seq: 0, user },
    ]);
  });

  it("leaves out user when the identity is null", () => {
    const h = setup(new MemoryStorage(), { user: null });
    h.transport.connectNow();
    expect(h.transport.sent("session_request")[0]).not.toHaveProperty("user");
  });

  it("stores the confirmed id, and a reload sends it with last_seq 0", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first, "s1");
    first.transport.fire("bot_uttered", bot(1));
    first.transport.fire("bot_uttered", bot(2));
    expect(stored(storage).sessionId).toBe("s1");

    const reloaded = setup(storage);
    expect(reloaded.chat.snapshot().sessionId).toBe("s1");
    expect(reloaded.chat.snapshot().entries).toEqual([]);
    reloaded.transport.connectNow();
    expect(reloaded.transport.sent("session_request")).toEqual([
      { protocol: 1, session_id: "s1", last_seq: 0 },
    ]);
  });

  it("a reconnect on the same page asks for entries after the newest one held", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("visitor_uttered", visitor(1));
    h.transport.fire("bot_uttered", bot(2));
    h.transport.fire("handoff", handoff(3, "queued", { position: 2, wait_seconds: 60 }));
    h.transport.disconnectNow();
    expect(h.chat.snapshot().connection).toBe("reconnecting");
    expect(h.chat.snapshot().ready).toBe(false);
    h.transport.clear();
    h.transport.connectNow();
    expect(h.transport.emitted).toEqual([
      { event: "session_request", payload: { protocol: 1, session_id: "s1", last_seq: 3 } },
    ]);
  });

  it("last_seq on reconnect is the highest seq even when entries arrived out of order", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(5));
    h.transport.fire("bot_uttered", bot(4));
    h.transport.disconnectNow();
    h.transport.clear();
    h.transport.connectNow();
    expect(h.transport.sent("session_request")[0].last_seq).toBe(5);
  });

  it("a confirmed id different from the stored one clears the old conversation", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("handoff", handoff(2, "assigned", { agent: MARIA }));
    h.transport.disconnectNow();
    h.transport.connectNow();
    h.transport.fire("session_confirm", "s2");
    const snap = h.chat.snapshot();
    expect(snap.sessionId).toBe("s2");
    expect(snap.entries).toEqual([]);
    expect(snap.agent).toBeNull();
    expect(stored(h.storage).sessionId).toBe("s2");
    // seq numbers restart in the new conversation: seq 1 must be shown, not dropped
    h.transport.fire("session_state", state({ session_id: "s2" }));
    h.transport.fire("bot_uttered", bot(1, "new conversation"));
    expect(h.chat.snapshot().entries.map((entry) => entry.text)).toEqual(["new conversation"]);
  });

  it("the same id confirmed again keeps what is shown", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.disconnectNow();
    ready(h, "s1");
    expect(seqs(h)).toEqual([1]);
  });

  it("ignores an empty or non-string session_confirm", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("session_confirm", "");
    h.transport.fire("session_confirm", 42 as unknown as string);
    expect(h.chat.snapshot().sessionId).toBe("s1");
  });

  it("takes owner, agent, queue and limits from session_state", () => {
    const h = setup();
    ready(h, "s1", {
      owner: "agent",
      agent: MARIA,
      limits: { max_message_chars: 120, rate_limit: { messages: 5, per_seconds: 10 } },
    });
    let snap = h.chat.snapshot();
    expect(snap.owner).toBe("agent");
    expect(snap.agent).toEqual(MARIA);
    expect(snap.queue).toBeNull();
    expect(snap.maxMessageChars).toBe(120);

    h.transport.disconnectNow();
    ready(h, "s1", { owner: "queued", queue: { position: 3, wait_seconds: 90 } });
    snap = h.chat.snapshot();
    expect(snap.owner).toBe("queued");
    expect(snap.agent).toBeNull();
    expect(snap.queue).toEqual({ position: 3, waitSeconds: 90, text: null, agent: null });
  });

  it("subscribers get the current snapshot at once and every change after; unsubscribe stops them", () => {
    const h = setup();
    const seen: ChatSnapshot[] = [];
    const stop = h.chat.subscribe((snapshot) => seen.push(snapshot));
    expect(seen).toHaveLength(1);
    ready(h);
    h.transport.fire("bot_uttered", bot(1));
    const count = seen.length;
    expect(seen[count - 1].entries.map((entry) => entry.seq)).toEqual([1]);
    stop();
    h.transport.fire("bot_uttered", bot(2));
    expect(seen).toHaveLength(count);
  });

  it("still works when storage throws (private mode)", () => {
    const h = setup(new ThrowingStorage());
    ready(h);
    expect(h.chat.send("hello")).toBeNull();
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "hello", client_message_id: "m1" }]);
  });

  it("ignores corrupt stored state", () => {
    const storage = new MemoryStorage();
    storage.setItem(KEY, "{not json");
    const h = setup(storage);
    expect(h.chat.snapshot().sessionId).toBeNull();
    h.transport.connectNow();
    expect(h.transport.sent("session_request")[0].session_id).toBeNull();
  });

  it("drops malformed pending messages from storage and keeps well-formed ones", () => {
    const storage = new MemoryStorage();
    storage.setItem(
      KEY,
      JSON.stringify({
        sessionId: 7,
        seenSeq: "3",
        open: "yes",
        pending: [{ text: "no id" }, null, { clientMessageId: "ok", text: "fine", status: "sent" }],
      }),
    );
    const h = setup(storage);
    const snap = h.chat.snapshot();
    expect(snap.sessionId).toBeNull();
    expect(snap.open).toBe(false);
    expect(snap.pending).toEqual([{ clientMessageId: "ok", text: "fine", status: "waiting" }]);
  });

  it("randomId gives 32 hex characters, different each time", () => {
    const a = randomId();
    const b = randomId();
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });

  it("uses random client message ids when no newId is given", () => {
    const transport = new FakeTransport();
    const chat = new ChatSession(transport, new MemoryStorage(), { storageKey: KEY });
    chat.start();
    transport.connectNow();
    transport.fire("session_confirm", "s1");
    transport.fire("session_state", state());
    chat.send("one");
    chat.send("two");
    const ids = transport.sent("user_uttered").map((payload) => payload.client_message_id);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe("entries", () => {
  it("shows each entry once, in seq order, whatever the arrival order", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(3));
    h.transport.fire("visitor_uttered", visitor(1));
    h.transport.fire("handoff", handoff(4, "queued", { position: 1 }));
    h.transport.fire("bot_uttered", bot(2));
    h.transport.fire("bot_uttered", bot(3, "a duplicate"));
    h.transport.fire("visitor_uttered", visitor(1, "a duplicate"));
    h.transport.fire("handoff", handoff(4, "queued", { text: "a duplicate" }));
    h.transport.fire("bot_uttered", bot(5));
    const entries = h.chat.snapshot().entries;
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(entries.map((entry) => entry.kind)).toEqual(["visitor", "bot", "bot", "handoff", "bot"]);
    expect(entries.some((entry) => entry.text === "a duplicate")).toBe(false);
  });

  it("keeps entries' kinds, texts, senders and quick replies", () => {
    const h = setup();
    ready(h);
    const replies = [{ title: "Yes", payload: "/affirm" }];
    h.transport.fire("visitor_uttered", visitor(1, "hi", "x1"));
    h.transport.fire("bot_uttered", bot(2, "Hello!", { quick_replies: replies }));
    h.transport.fire("bot_uttered", agentSays(3, "Maria here"));
    h.transport.fire("bot_uttered", { seq: 4, at: AT, text: "still here", sender: { kind: "system" } });
    h.transport.fire("handoff", handoff(5, "closed", { by: "agent", text: "The chat has ended" }));
    const [v, b, a, s, ho] = h.chat.snapshot().entries;
    expect(v).toMatchObject({ kind: "visitor", text: "hi", clientMessageId: "x1" });
    expect(b).toMatchObject({ kind: "bot", text: "Hello!", quickReplies: replies });
    expect(a).toMatchObject({ kind: "agent", text: "Maria here", sender: { kind: "agent", name: "Maria" } });
    expect(s).toMatchObject({ kind: "system", text: "still here" });
    expect(ho).toMatchObject({ kind: "handoff", text: "The chat has ended", handoff: { state: "closed" } });
  });

  it("ignores entries with a missing or invalid seq", () => {
    const h = setup();
    ready(h);
    h.transport.fire("visitor_uttered", visitor(0));
    h.transport.fire("visitor_uttered", visitor(-1));
    h.transport.fire("visitor_uttered", visitor(1.5));
    h.transport.fire("handoff", { ...handoff(1, "queued"), seq: undefined as unknown as number });
    expect(h.chat.snapshot().entries).toEqual([]);
  });

  it("a bot_uttered without seq is a notice, not an entry", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", { text: "Having trouble, still here", sender: { kind: "system" } });
    const snap = h.chat.snapshot();
    expect(snap.entries).toEqual([]);
    expect(snap.notice).toBe("Having trouble, still here");
    expect(snap.unread).toBe(0);
  });

  it("a snapshot's entries are not changed by later events", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(2));
    const before = h.chat.snapshot().entries;
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("bot_uttered", bot(3));
    expect(before.map((entry) => entry.seq)).toEqual([2]);
  });
});

describe("sending", () => {
  it("sends at once when ready, shown as pending until its entry arrives", () => {
    const h = setup();
    ready(h);
    expect(h.chat.send("  hello  ")).toBeNull();
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "hello", client_message_id: "m1" }]);
    expect(h.chat.snapshot().pending).toEqual([{ clientMessageId: "m1", text: "hello", status: "sent" }]);
    h.transport.fire("visitor_uttered", visitor(1, "hello", "m1"));
    expect(h.chat.snapshot().pending).toEqual([]);
    expect(seqs(h)).toEqual([1]);
  });

  it("queues messages while disconnected and sends them, in order, after session_state", () => {
    const h = setup();
    expect(h.chat.send("first")).toBeNull();
    expect(h.chat.send("second")).toBeNull();
    expect(h.transport.emitted).toEqual([]);
    expect(h.chat.snapshot().pending.map((message) => message.status)).toEqual(["waiting", "waiting"]);

    h.transport.connectNow();
    h.transport.fire("session_confirm", "s1");
    // nothing before the session is confirmed and its state known
    expect(h.transport.sent("user_uttered")).toEqual([]);
    h.transport.fire("session_state", state());
    expect(h.transport.emitted.map((item) => item.event)).toEqual([
      "session_request",
      "user_uttered",
      "user_uttered",
    ]);
    expect(h.transport.sent("user_uttered")).toEqual([
      { message: "first", client_message_id: "m1" },
      { message: "second", client_message_id: "m2" },
    ]);
  });

  it("queues messages typed after a disconnect and sends them on reconnect", () => {
    const h = setup();
    ready(h);
    h.transport.disconnectNow();
    h.chat.send("while offline");
    expect(h.transport.sent("user_uttered")).toEqual([]);
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "while offline", client_message_id: "m1" }]);
  });

  it("resends a sent-but-unacked message after a reconnect with the same id, once", () => {
    const h = setup();
    ready(h);
    h.chat.send("lost in transit");
    h.transport.disconnectNow();
    expect(h.chat.snapshot().pending[0].status).toBe("waiting");
    h.transport.clear();
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([
      { message: "lost in transit", client_message_id: "m1" },
    ]);
    expect(h.chat.snapshot().pending[0].status).toBe("sent");
  });

  it("does not resend a message whose entry arrived before the disconnect", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("visitor_uttered", visitor(1, "hello", "m1"));
    h.transport.disconnectNow();
    h.transport.clear();
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([]);
  });

  it("message_ack keeps the message pending (as sent) until its entry arrives", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("message_ack", { seq: 1, client_message_id: "m1" });
    expect(h.chat.snapshot().pending).toEqual([{ clientMessageId: "m1", text: "hello", status: "sent" }]);
    h.transport.fire("visitor_uttered", visitor(1, "hello", "m1"));
    expect(h.chat.snapshot().pending).toEqual([]);
  });

  it("message_ack drops the message when its entry already arrived", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    // another path (e.g. a replay) delivered the entry without the id
    h.transport.fire("visitor_uttered", visitor(1, "hello", null));
    expect(h.chat.snapshot().pending).toHaveLength(1);
    h.transport.fire("message_ack", { seq: 1, client_message_id: "m1" });
    expect(h.chat.snapshot().pending).toEqual([]);
  });

  it("message_ack for another message leaves this one alone", () => {
    const h = setup();
    ready(h);
    h.chat.send("a");
    h.chat.send("b");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("message_ack", { seq: 1, client_message_id: "m2" });
    expect(h.chat.snapshot().pending.map((message) => message.clientMessageId)).toEqual(["m1"]);
    h.transport.fire("message_ack", { seq: 2, client_message_id: null });
    expect(h.chat.snapshot().pending.map((message) => message.clientMessageId)).toEqual(["m1"]);
  });

  it("a visitor_uttered from another tab does not touch this tab's pending messages", () => {
    const h = setup();
    ready(h);
    h.chat.send("mine");
    h.transport.fire("visitor_uttered", visitor(1, "other tab", "other-tab-id"));
    expect(h.chat.snapshot().pending.map((message) => message.clientMessageId)).toEqual(["m1"]);
    expect(seqs(h)).toEqual([1]);
  });

  it("pending messages survive a reload and are sent with their ids", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first);
    first.transport.disconnectNow();
    first.chat.send("typed offline");
    const second = setup(storage);
    expect(second.chat.snapshot().pending).toEqual([
      { clientMessageId: "m1", text: "typed offline", status: "waiting" },
    ]);
    ready(second);
    expect(second.transport.sent("user_uttered")).toEqual([
      { message: "typed offline", client_message_id: "m1" },
    ]);
  });

  it("a message sent before a reload is resent after it with the same id", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first);
    first.chat.send("in flight");
    expect(first.chat.snapshot().pending[0].status).toBe("sent");
    const second = setup(storage);
    expect(second.chat.snapshot().pending[0].status).toBe("waiting");
    ready(second);
    expect(second.transport.sent("user_uttered")).toEqual([
      { message: "in flight", client_message_id: "m1" },
    ]);
  });

  it("refuses empty text and emits nothing", () => {
    const h = setup();
    ready(h);
    h.transport.clear();
    expect(h.chat.send("")).toEqual(expect.any(String));
    expect(h.chat.send("   \n\t ")).toEqual(expect.any(String));
    expect(h.transport.emitted).toEqual([]);
    expect(h.chat.snapshot().pending).toEqual([]);
  });

  it("refuses text over the server's limit, counting the trimmed text", () => {
    const h = setup();
    ready(h, "s1", { limits: { max_message_chars: 10, rate_limit: { messages: 5, per_seconds: 10 } } });
    h.transport.clear();
    const problem = h.chat.send("x".repeat(11));
    expect(problem).toEqual(expect.stringContaining("10"));
    expect(h.transport.emitted).toEqual([]);
    expect(h.chat.snapshot().pending).toEqual([]);
    expect(h.chat.send(`  ${"x".repeat(10)}  `)).toBeNull();
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "x".repeat(10), client_message_id: "m1" }]);
  });

  it("uses 4000 characters as the limit before session_state says otherwise", () => {
    const h = setup();
    expect(h.chat.snapshot().maxMessageChars).toBe(4000);
    expect(h.chat.send("x".repeat(4001))).not.toBeNull();
    expect(h.chat.send("x".repeat(4000))).toBeNull();
    expect(h.chat.snapshot().pending).toHaveLength(1);
  });

  it("choose() sends the quick reply's payload", () => {
    const h = setup();
    ready(h);
    h.chat.choose({ title: "Keep waiting", payload: "/queue_wait" });
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "/queue_wait", client_message_id: "m1" }]);
  });

  it("choose() shows the quick reply's title as the visitor's words, never the payload", () => {
    const h = setup();
    ready(h);
    h.chat.choose({ title: "I'll wait", payload: "/queue_wait" });
    const [pending] = h.chat.snapshot().pending;
    expect(pending.title).toBe("I'll wait");
    expect(pending.text).toBe("/queue_wait");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m1" });
    expect(h.chat.discard("m1")).toBe("I'll wait");
  });

  it("sending clears the notice", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", { text: "a notice", sender: { kind: "system" } });
    expect(h.chat.snapshot().notice).toBe("a notice");
    h.chat.send("hi");
    expect(h.chat.snapshot().notice).toBeNull();
  });
});

describe("slow_down", () => {
  it("resends the refused message after retry_after_ms with the same id", () => {
    const h = setup();
    ready(h);
    h.chat.send("quick");
    h.transport.fire("slow_down", { retry_after_ms: 1500, client_message_id: "m1", text: "quick" });
    const snap = h.chat.snapshot();
    expect(snap.pending).toEqual([{ clientMessageId: "m1", text: "quick", status: "waiting" }]);
    expect(snap.notice).toEqual(expect.any(String));
    expect(h.timers).toHaveLength(1);
    expect(h.timers[0].ms).toBe(1500);
    expect(h.transport.sent("user_uttered")).toHaveLength(1);
    h.timers[0].callback();
    expect(h.transport.sent("user_uttered")).toEqual([
      { message: "quick", client_message_id: "m1" },
      { message: "quick", client_message_id: "m1" },
    ]);
    expect(h.chat.snapshot().pending[0].status).toBe("sent");
  });

  it("waits at least 100 ms", () => {
    const h = setup();
    ready(h);
    h.chat.send("quick");
    h.transport.fire("slow_down", { retry_after_ms: 1, client_message_id: "m1", text: "quick" });
    expect(h.timers[0].ms).toBe(100);
  });

  it("does not resend when the message was discarded meanwhile", () => {
    const h = setup();
    ready(h);
    h.chat.send("quick");
    h.transport.fire("slow_down", { retry_after_ms: 500, client_message_id: "m1", text: "quick" });
    expect(h.chat.discard("m1")).toBe("quick");
    h.timers[0].callback();
    expect(h.transport.sent("user_uttered")).toHaveLength(1);
  });

  it("a reconnect before the timer sends it once, not twice", () => {
    const h = setup();
    ready(h);
    h.chat.send("quick");
    h.transport.fire("slow_down", { retry_after_ms: 500, client_message_id: "m1", text: "quick" });
    h.transport.disconnectNow();
    h.transport.clear();
    ready(h);
    h.timers[0].callback();
    expect(h.transport.sent("user_uttered")).toHaveLength(1);
  });

  it("a timer that fires while disconnected leaves the message for the reconnect", () => {
    const h = setup();
    ready(h);
    h.chat.send("quick");
    h.transport.fire("slow_down", { retry_after_ms: 500, client_message_id: "m1", text: "quick" });
    h.transport.disconnectNow();
    h.transport.clear();
    h.timers[0].callback();
    expect(h.transport.emitted).toEqual([]);
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "quick", client_message_id: "m1" }]);
  });

  it("ignores a slow_down for an unknown message", () => {
    const h = setup();
    ready(h);
    h.transport.fire("slow_down", { retry_after_ms: 500, client_message_id: "nope", text: "x" });
    expect(h.timers).toEqual([]);
  });

  describe("with the default timer", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("uses setTimeout when no setTimer is given", () => {
      const transport = new FakeTransport();
      let next = 0;
      const chat = new ChatSession(transport, new MemoryStorage(), {
        storageKey: KEY,
        newId: () => `m${++next}`,
      });
      chat.start();
      transport.connectNow();
      transport.fire("session_confirm", "s1");
      transport.fire("session_state", state());
      chat.send("quick");
      transport.fire("slow_down", { retry_after_ms: 2000, client_message_id: "m1", text: "quick" });
      vi.advanceTimersByTime(1999);
      expect(transport.sent("user_uttered")).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(transport.sent("user_uttered")).toHaveLength(2);
    });
  });
});

describe("errors", () => {
  it("an error naming a message marks it failed with a readable problem", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("error", { error: "unavailable", detail: "the chat store is unreachable", client_message_id: "m1" });
    const [message] = h.chat.snapshot().pending;
    expect(message.status).toBe("failed");
    expect(message.problem).toEqual(expect.any(String));
    expect(message.problem).not.toContain("unavailable");
    expect(h.chat.snapshot().notice).toBeNull();
  });

  it("an unknown error code still gives a readable problem", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("error", { error: "brand_new_code", detail: "x", client_message_id: "m1" });
    expect(h.chat.snapshot().pending[0].problem).toEqual(expect.any(String));
  });

  it("a failed message is not resent automatically on reconnect, and stays failed after a reload", () => {
    const storage = new MemoryStorage();
    const h = setup(storage);
    ready(h);
    h.chat.send("hello");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m1" });
    h.transport.disconnectNow();
    h.transport.clear();
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([]);

    const reloaded = setup(storage);
    expect(reloaded.chat.snapshot().pending[0]).toMatchObject({ clientMessageId: "m1", status: "failed" });
    ready(reloaded);
    expect(reloaded.transport.sent("user_uttered")).toEqual([]);
  });

  it("retry() resends a failed message with the same id", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m1" });
    h.chat.retry("m1");
    expect(h.transport.sent("user_uttered")).toEqual([
      { message: "hello", client_message_id: "m1" },
      { message: "hello", client_message_id: "m1" },
    ]);
    const [message] = h.chat.snapshot().pending;
    expect(message.status).toBe("sent");
    expect(message.problem).toBeUndefined();
  });

  it("retry() while disconnected sends it on reconnect", () => {
    const h = setup();
    ready(h);
    h.chat.send("hello");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m1" });
    h.transport.disconnectNow();
    h.transport.clear();
    h.chat.retry("m1");
    expect(h.transport.emitted).toEqual([]);
    expect(h.chat.snapshot().pending[0].status).toBe("waiting");
    ready(h);
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "hello", client_message_id: "m1" }]);
  });

  it("retry() and discard() of an unknown id do nothing", () => {
    const h = setup();
    ready(h);
    h.transport.clear();
    h.chat.retry("nope");
    expect(h.chat.discard("nope")).toBeNull();
    expect(h.transport.emitted).toEqual([]);
  });

  it("discard() drops the message and returns its text", () => {
    const h = setup();
    ready(h);
    h.chat.send("keep me");
    h.chat.send("drop me");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m2" });
    expect(h.chat.discard("m2")).toBe("drop me");
    expect(h.chat.snapshot().pending.map((message) => message.clientMessageId)).toEqual(["m1"]);
    expect((stored(h.storage).pending as unknown[]).length).toBe(1);
  });

  it("an error without a message becomes a notice, except identity_rejected", () => {
    const h = setup();
    ready(h);
    h.transport.fire("error", { error: "identity_rejected", detail: "user.hash does not match user.id" });
    expect(h.chat.snapshot().notice).toBeNull();
    h.transport.fire("error", { error: "unavailable", detail: "the chat store is unreachable" });
    expect(h.chat.snapshot().notice).toEqual(expect.any(String));
  });

  it("a refused request says why, but a refused typing signal bothers nobody", () => {
    const h = setup();
    ready(h);
    h.transport.fire("error", { error: "rate_limited", detail: "x", event: "typing", retry_after_ms: 900 });
    expect(h.chat.snapshot().notice).toBeNull();
    h.transport.fire("error", { error: "rate_limited", detail: "x", event: "history_request", retry_after_ms: 900 });
    expect(h.chat.snapshot().notice).toContain("too many requests from your connection");
  });

  it("conversation_closed starts a new session and resends the waiting message", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.chat.send("hello again");
    h.transport.clear();
    h.transport.fire("error", {
      error: "conversation_closed",
      detail: "start a new conversation",
      client_message_id: "m1",
    });
    expect(h.transport.emitted).toEqual([
      { event: "session_request", payload: { protocol: 1, session_id: null, last_seq: 0 } },
    ]);
    let snap = h.chat.snapshot();
    expect(snap.entries).toEqual([]);
    expect(snap.ready).toBe(false);
    expect(snap.pending).toEqual([{ clientMessageId: "m1", text: "hello again", status: "waiting" }]);

    h.transport.fire("session_confirm", "s2");
    h.transport.fire("session_state", state({ session_id: "s2" }));
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "hello again", client_message_id: "m1" }]);
    snap = h.chat.snapshot();
    expect(snap.sessionId).toBe("s2");
    expect(snap.pending[0].status).toBe("sent");
  });
});

describe("unread", () => {
  it("counts bot, agent, system and handoff entries arriving while closed, never the visitor's", () => {
    const h = setup();
    ready(h);
    expect(h.chat.snapshot().open).toBe(false);
    h.transport.fire("visitor_uttered", visitor(1));
    expect(h.chat.snapshot().unread).toBe(0);
    h.transport.fire("bot_uttered", bot(2));
    h.transport.fire("handoff", handoff(3, "assigned", { agent: MARIA }));
    h.transport.fire("bot_uttered", agentSays(4));
    h.transport.fire("bot_uttered", { seq: 5, at: AT, text: "notice", sender: { kind: "system" } });
    h.transport.fire("visitor_uttered", visitor(6));
    expect(h.chat.snapshot().unread).toBe(4);
  });

  it("opening resets it to 0, and what arrives while open is not unread after closing", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("bot_uttered", bot(2));
    expect(h.chat.snapshot().unread).toBe(2);
    h.chat.setOpen(true);
    expect(h.chat.snapshot().unread).toBe(0);
    h.transport.fire("bot_uttered", bot(3));
    expect(h.chat.snapshot().unread).toBe(0);
    h.chat.setOpen(false);
    expect(h.chat.snapshot().unread).toBe(0);
    h.transport.fire("bot_uttered", bot(4));
    expect(h.chat.snapshot().unread).toBe(1);
  });

  it("after a reload, entries already seen are not unread; newer ones are", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first);
    first.transport.fire("bot_uttered", bot(1));
    first.transport.fire("bot_uttered", bot(2));
    first.chat.setOpen(true);
    first.chat.setOpen(false);
    expect(stored(storage).seenSeq).toBe(2);

    const second = setup(storage);
    ready(second);
    second.transport.fire("bot_uttered", bot(1));
    second.transport.fire("bot_uttered", bot(2));
    second.transport.fire("bot_uttered", bot(3));
    expect(second.chat.snapshot().unread).toBe(1);
  });

  it("the open state survives a reload", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    first.chat.setOpen(true);
    const second = setup(storage);
    expect(second.chat.snapshot().open).toBe(true);
    ready(second);
    second.transport.fire("bot_uttered", bot(1));
    expect(second.chat.snapshot().unread).toBe(0);
  });

  it("a new conversation (different id confirmed) counts from its own start", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first, "s1");
    for (let seq = 1; seq <= 5; seq++) first.transport.fire("bot_uttered", bot(seq));
    first.chat.setOpen(true);
    first.chat.setOpen(false);
    const second = setup(storage);
    ready(second, "s2");
    second.transport.fire("bot_uttered", bot(1, "welcome"));
    expect(second.chat.snapshot().unread).toBe(1);
  });

  // The stored seenSeq survives opening and closing the panel before the replay
  // arrives (it once dropped to 0, making every old entry unread again).
  it("opening and closing before the replay arrives does not make seen entries unread", () => {
    const storage = new MemoryStorage();
    const first = setup(storage);
    ready(first);
    for (let seq = 1; seq <= 3; seq++) first.transport.fire("bot_uttered", bot(seq));
    first.chat.setOpen(true);
    first.chat.setOpen(false);

    const second = setup(storage);
    second.chat.setOpen(true);
    second.chat.setOpen(false);
    ready(second);
    for (let seq = 1; seq <= 3; seq++) second.transport.fire("bot_uttered", bot(seq));
    expect(second.chat.snapshot().unread).toBe(0);
  });
});

describe("typing", () => {
  it("is set by typing true and cleared by typing false from the same kind", () => {
    const h = setup();
    ready(h);
    h.transport.fire("typing", { sender: { kind: "bot" }, typing: true });
    expect(h.chat.snapshot().typing).toEqual({ kind: "bot" });
    h.transport.fire("typing", { sender: { kind: "agent", name: "Maria" }, typing: false });
    expect(h.chat.snapshot().typing).toEqual({ kind: "bot" });
    h.transport.fire("typing", { sender: { kind: "bot" }, typing: false });
    expect(h.chat.snapshot().typing).toBeNull();
  });

  it("shows the agent who types", () => {
    const h = setup();
    ready(h);
    h.transport.fire("typing", { sender: { kind: "agent", id: "a1", name: "Maria" }, typing: true });
    expect(h.chat.snapshot().typing).toEqual({ kind: "agent", id: "a1", name: "Maria" });
  });

  it("is cleared by that sender's message, not by another's", () => {
    const h = setup();
    ready(h);
    h.transport.fire("typing", { sender: { kind: "agent", name: "Maria" }, typing: true });
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("visitor_uttered", visitor(2));
    expect(h.chat.snapshot().typing).toMatchObject({ kind: "agent" });
    h.transport.fire("bot_uttered", agentSays(3));
    expect(h.chat.snapshot().typing).toBeNull();
  });

  it("is cleared by a disconnect", () => {
    const h = setup();
    ready(h);
    h.transport.fire("typing", { sender: { kind: "bot" }, typing: true });
    h.transport.disconnectNow();
    expect(h.chat.snapshot().typing).toBeNull();
  });

  it("is cleared when the conversation closes", () => {
    const h = setup();
    ready(h);
    h.transport.fire("typing", { sender: { kind: "agent", name: "Maria" }, typing: true });
    h.transport.fire("handoff", handoff(1, "closed", { by: "agent" }));
    expect(h.chat.snapshot().typing).toBeNull();
  });

  it("setTyping emits only when ready", () => {
    const h = setup();
    h.chat.setTyping(true);
    h.transport.connectNow();
    h.chat.setTyping(true);
    expect(h.transport.sent("typing")).toEqual([]);
    h.transport.fire("session_confirm", "s1");
    h.transport.fire("session_state", state());
    h.chat.setTyping(true);
    h.chat.setTyping(false);
    expect(h.transport.sent("typing")).toEqual([{ typing: true }, { typing: false }]);
  });
});

describe("handoff", () => {
  it("queued sets owner queued with position and wait; queue_update updates it", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "queued", { position: 3, wait_seconds: 240 }));
    let snap = h.chat.snapshot();
    expect(snap.owner).toBe("queued");
    expect(snap.queue).toEqual({ position: 3, waitSeconds: 240, text: null, agent: null });
    expect(snap.agent).toBeNull();

    h.transport.fire("queue_update", { position: 1, wait_seconds: 30, text: "You're next" });
    snap = h.chat.snapshot();
    expect(snap.owner).toBe("queued");
    expect(snap.queue).toEqual({ position: 1, waitSeconds: 30, text: "You're next", agent: null });
  });

  it("queued for a named person keeps that person with the queue, until the reservation lapses", () => {
    const h = setup();
    ready(h);
    const tom = { id: "tom", name: "Tom", team: "delivery" };
    h.transport.fire("handoff", handoff(1, "queued", { position: 2, wait_seconds: 240, agent: tom }));
    expect(h.chat.snapshot().queue?.agent).toEqual(tom);
    expect(h.chat.snapshot().agent).toBeNull();
    h.transport.fire("queue_update", { position: 1, wait_seconds: 120, text: "Tom will join you", agent: tom });
    expect(h.chat.snapshot().queue?.agent).toEqual(tom);

    h.transport.fire(
      "handoff",
      handoff(2, "queued", { position: 1, wait_seconds: 120, reason: "reservation_lapsed", text: "open" }),
    );
    expect(h.chat.snapshot().queue?.agent).toBeNull();
    expect(h.chat.snapshot().owner).toBe("queued");
  });

  it("session_state of a chat reserved for a named person carries that person", () => {
    const h = setup();
    ready(h, "s1", { owner: "queued", queue: { position: 2, wait_seconds: 60, agent: { id: "tom", name: "Tom" } } });
    expect(h.chat.snapshot().queue?.agent).toEqual({ id: "tom", name: "Tom" });
  });

  it("queued with nobody online keeps a null wait", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "queued", { position: 1, wait_seconds: null }));
    expect(h.chat.snapshot().queue).toEqual({ position: 1, waitSeconds: null, text: null, agent: null });
  });

  it("assigned and transferred set owner agent and the agent; the queue goes", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "queued", { position: 1 }));
    h.transport.fire("handoff", handoff(2, "assigned", { agent: MARIA }));
    let snap = h.chat.snapshot();
    expect(snap.owner).toBe("agent");
    expect(snap.agent).toEqual(MARIA);
    expect(snap.queue).toBeNull();

    h.transport.fire("handoff", handoff(3, "transferred", { agent: JONAS, from_agent: MARIA }));
    snap = h.chat.snapshot();
    expect(snap.owner).toBe("agent");
    expect(snap.agent).toEqual(JONAS);
  });

  it("handed_back gives the conversation back to the bot", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "assigned", { agent: MARIA }));
    h.transport.fire("handoff", handoff(2, "handed_back", { by: "agent" }));
    const snap = h.chat.snapshot();
    expect(snap.owner).toBe("bot");
    expect(snap.agent).toBeNull();
    expect(snap.queue).toBeNull();
  });

  it("handed_back from the queue (carry on) clears the queue", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "queued", { position: 2 }));
    h.transport.fire("handoff", handoff(2, "handed_back", { by: "visitor" }));
    expect(h.chat.snapshot()).toMatchObject({ owner: "bot", queue: null });
  });

  it("closed sets owner closed and hides quick replies", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Anything else?", { quick_replies: [{ title: "No", payload: "/deny" }] }));
    expect(h.chat.snapshot().quickReplies).toHaveLength(1);
    h.transport.fire("handoff", handoff(2, "closed", { by: "agent" }));
    expect(h.chat.snapshot().owner).toBe("closed");
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });

  it("a closed conversation hides even quick replies of a later message", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "closed", { by: "agent" }));
    h.transport.fire("bot_uttered", bot(2, "late", { quick_replies: [{ title: "Yes", payload: "/affirm" }] }));
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });

  // A duplicate or late older handoff entry is not shown again and does not rewind
  // who owns the chat.
  it("a duplicate of an older handoff entry does not change who owns the chat", () => {
    const h = setup();
    ready(h);
    h.transport.fire("handoff", handoff(1, "queued", { position: 1 }));
    h.transport.fire("handoff", handoff(2, "assigned", { agent: MARIA }));
    h.transport.fire("handoff", handoff(1, "queued", { position: 1 }));
    expect(seqs(h)).toEqual([1, 2]);
    expect(h.chat.snapshot()).toMatchObject({ owner: "agent", agent: MARIA, queue: null });
  });

  // After a reload session_state tells the current queue position; the replayed
  // `queued` entry (seq <= session_state.last_seq) must not overwrite it.
  it("a reload while queued keeps the current queue position from session_state", () => {
    const h = setup();
    h.transport.connectNow();
    h.transport.fire("session_confirm", "s1");
    h.transport.fire(
      "session_state",
      state({ resumed: true, last_seq: 2, owner: "queued", queue: { position: 1, wait_seconds: 20 } }),
    );
    // the replay of the transcript
    h.transport.fire("visitor_uttered", visitor(1, "a person please"));
    h.transport.fire("handoff", handoff(2, "queued", { position: 5, wait_seconds: 600 }));
    expect(h.chat.snapshot().queue).toMatchObject({ position: 1, waitSeconds: 20 });
  });
});

describe("quick replies", () => {
  const replies = [
    { title: "Yes", payload: "/affirm" },
    { title: "No", payload: "/deny" },
  ];

  it("are those of the latest entry only", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Q?", { quick_replies: replies }));
    expect(h.chat.snapshot().quickReplies).toEqual(replies);
    h.transport.fire("bot_uttered", bot(2, "and another thing"));
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });

  it("an older message arriving late does not bring its buttons back", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(2, "latest"));
    h.transport.fire("bot_uttered", bot(1, "older", { quick_replies: replies }));
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });

  it("are hidden once the visitor has a pending message, and by their entry", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Q?", { quick_replies: replies }));
    h.chat.choose(replies[0]);
    expect(h.chat.snapshot().quickReplies).toEqual([]);
    h.transport.fire("visitor_uttered", visitor(2, "Yes", "m1"));
    expect(h.chat.snapshot().pending).toEqual([]);
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });

  it("come back when the pending message is discarded", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Q?", { quick_replies: replies }));
    h.chat.send("typed instead");
    h.transport.fire("error", { error: "unavailable", detail: "x", client_message_id: "m1" });
    h.chat.discard("m1");
    expect(h.chat.snapshot().quickReplies).toEqual(replies);
  });

  it("stay through the queued line that follows the bot's 'nobody is free' choices", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Wait, email or carry on?", { quick_replies: replies }));
    h.transport.fire("handoff", handoff(2, "queued", { position: 1 }));
    expect(h.chat.snapshot().quickReplies).toEqual(replies);
  });

  it("go once the visitor has written after them, handoff lines or not", () => {
    const h = setup();
    ready(h);
    h.transport.fire("bot_uttered", bot(1, "Q?", { quick_replies: replies }));
    h.transport.fire("visitor_uttered", { seq: 2, at: "2026-11-23T10:00:00.000Z", text: "hm" });
    h.transport.fire("handoff", handoff(3, "queued", { position: 1 }));
    expect(h.chat.snapshot().quickReplies).toEqual([]);
  });
});

describe("rating", () => {
  it("emits the score, with the comment only when it is not blank", () => {
    const h = setup();
    ready(h);
    h.chat.rate(5, "  great help  ");
    h.chat.rate(4, "   ");
    h.chat.rate(3, "");
    expect(h.transport.sent("rating")).toEqual([
      { score: 5, comment: "great help" },
      { score: 4 },
      { score: 3 },
    ]);
    expect(h.chat.snapshot().rating).toBe("sending");
  });

  it("cuts the comment to 2000 characters", () => {
    const h = setup();
    ready(h);
    h.chat.rate(2, "y".repeat(2500));
    expect(h.transport.sent("rating")[0].comment).toHaveLength(2000);
  });

  it("ignores scores out of range or not whole", () => {
    const h = setup();
    ready(h);
    for (const score of [0, 6, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) h.chat.rate(score, "x");
    expect(h.transport.sent("rating")).toEqual([]);
    expect(h.chat.snapshot().rating).toBe("none");
    h.chat.rate(1, "");
    expect(h.transport.sent("rating")).toEqual([{ score: 1 }]);
  });

  it("rating_saved marks it saved", () => {
    const h = setup();
    ready(h);
    h.chat.rate(5, "");
    h.transport.fire("rating_saved", { score: 5 });
    expect(h.chat.snapshot().rating).toBe("saved");
  });
});

describe("ending and starting again", () => {
  it("endChat emits end_chat only when ready and not already closed", () => {
    const h = setup();
    h.chat.endChat();
    h.transport.connectNow();
    h.chat.endChat();
    expect(h.transport.sent("end_chat")).toEqual([]);
    h.transport.fire("session_confirm", "s1");
    h.transport.fire("session_state", state());
    h.chat.endChat();
    expect(h.transport.sent("end_chat")).toEqual([{}]);
    h.transport.fire("handoff", handoff(1, "closed", { by: "visitor" }));
    h.chat.endChat();
    expect(h.transport.sent("end_chat")).toHaveLength(1);
  });

  it("endChat does nothing on a session that was closed when it resumed", () => {
    const h = setup();
    ready(h, "s1", { owner: "closed" });
    h.chat.endChat();
    expect(h.transport.sent("end_chat")).toEqual([]);
  });

  it("startNewChat clears the conversation and asks for a fresh session", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("handoff", handoff(2, "assigned", { agent: MARIA }));
    h.transport.fire("handoff", handoff(3, "closed", { by: "agent" }));
    h.chat.rate(4, "");
    h.transport.fire("rating_saved", { score: 4 });
    h.transport.clear();

    h.chat.startNewChat();
    const snap = h.chat.snapshot();
    expect(snap).toMatchObject({
      sessionId: null,
      entries: [],
      owner: "bot",
      agent: null,
      queue: null,
      typing: null,
      rating: "none",
      ready: false,
      unread: 0,
    });
    expect(h.transport.emitted).toEqual([
      { event: "session_request", payload: { protocol: 1, session_id: null, last_seq: 0 } },
    ]);
    expect(stored(h.storage).sessionId).toBeNull();

    h.transport.fire("session_confirm", "s2");
    h.transport.fire("session_state", state({ session_id: "s2" }));
    h.transport.fire("bot_uttered", bot(1, "Hi again"));
    expect(h.chat.snapshot().entries.map((entry) => entry.text)).toEqual(["Hi again"]);
  });

  it("startNewChat while disconnected asks for a fresh session on the next connect", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.disconnectNow();
    h.transport.clear();
    h.chat.startNewChat();
    expect(h.transport.emitted).toEqual([]);
    h.transport.connectNow();
    expect(h.transport.sent("session_request")).toEqual([{ protocol: 1, session_id: null, last_seq: 0 }]);
    // only that once: a later reconnect resumes the new session
    h.transport.fire("session_confirm", "s2");
    h.transport.fire("session_state", state({ session_id: "s2" }));
    h.transport.fire("bot_uttered", bot(1));
    h.transport.disconnectNow();
    h.transport.connectNow();
    expect(h.transport.sent("session_request")[1]).toEqual({ protocol: 1, session_id: "s2", last_seq: 1 });
  });

  it("writing after the conversation closed starts a new one and sends the message there", () => {
    const h = setup();
    ready(h, "s1");
    h.transport.fire("bot_uttered", bot(1));
    h.transport.fire("handoff", handoff(2, "closed", { by: "agent" }));
    h.transport.clear();
    expect(h.chat.send("one more thing")).toBeNull();
    // not into the closed conversation
    expect(h.transport.emitted).toEqual([
      { event: "session_request", payload: { protocol: 1, session_id: null, last_seq: 0 } },
    ]);
    expect(h.chat.snapshot().entries).toEqual([]);
    h.transport.fire("session_confirm", "s2");
    h.transport.fire("session_state", state({ session_id: "s2" }));
    expect(h.transport.sent("user_uttered")).toEqual([{ message: "one more thing", client_message_id: "m1" }]);
  });
});
