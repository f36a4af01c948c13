/** The chat's state: what the visitor sees, driven by the gateway's events.
 *
 * It takes the transport and the storage as arguments (no DOM, no socket.io), so every
 * rule here — entries once and in order, messages typed offline sent on reconnect, the
 * unread count, who is typing, who owns the chat — is unit-tested with fakes. */

import type {
  AgentInfo,
  BotUttered,
  ErrorEvent,
  HandoffEvent,
  MessageAck,
  Owner,
  QuickReply,
  Sender,
  SessionState,
  SlowDown,
  TypingEvent,
  VisitorUttered,
} from "./protocol";
import { PROTOCOL_VERSION } from "./protocol";
import type { ConnectionStatus, Transport } from "./transport";

/** The part of the Web Storage API the chat uses (localStorage in the browser). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type EntryKind = "visitor" | "bot" | "agent" | "system" | "handoff";

export interface ChatEntry {
  seq: number;
  at: string;
  kind: EntryKind;
  text: string;
  sender?: Sender;
  quickReplies?: QuickReply[];
  handoff?: HandoffEvent;
  clientMessageId?: string | null;
}

export type PendingStatus = "waiting" | "sent" | "failed";

/** A message the visitor wrote that the server has not recorded yet. */
export interface PendingMessage {
  clientMessageId: string;
  /** What is sent: the typed text, or a quick reply's payload. */
  text: string;
  /** A quick reply's title: what the visitor sees they said (the server records it too). */
  title?: string;
  status: PendingStatus;
  /** Why it failed, ready to show (status "failed"). */
  problem?: string;
}

export type Connection = "connecting" | "connected" | "reconnecting";

export interface QueueInfo {
  position: number | null;
  waitSeconds: number | null;
  text: string | null;
  /** The person the chat is reserved for (the visitor was told they will join). */
  agent: AgentInfo | null;
}

export type RatingStatus = "none" | "sending" | "saved";

export interface ChatSnapshot {
  connection: Connection;
  /** Whether the session is confirmed on the current connection (messages flow). */
  ready: boolean;
  sessionId: string | null;
  entries: readonly ChatEntry[];
  pending: readonly PendingMessage[];
  /** Who is typing right now (bot or agent), or null. */
  typing: Sender | null;
  owner: Owner;
  agent: AgentInfo | null;
  queue: QueueInfo | null;
  /** The buttons of the latest message, while it is the latest one. */
  quickReplies: readonly QuickReply[];
  unread: number;
  open: boolean;
  /** A line for the visitor about something that went wrong (not a message). */
  notice: string | null;
  rating: RatingStatus;
  maxMessageChars: number;
}

export interface ChatOptions {
  /** Keys in storage start with this (one widget per server on a site). */
  storageKey: string;
  /** A verified identity from the host page ({id, hash}), if any. */
  user?: { id: string; hash: string } | null;
  newId?: () => string;
  setTimer?: (callback: () => void, ms: number) => unknown;
}

interface Stored {
  sessionId: string | null;
  seenSeq: number;
  open: boolean;
  pending: PendingMessage[];
}

const DEFAULT_MAX_MESSAGE_CHARS = 4000;

const PROBLEMS: Record<string, string> = {
  message_too_long: "This message is too long to send. Please shorten it.",
  empty_message: "This message is empty.",
  unavailable: "We couldn't send this just now. Please try again.",
  invalid_payload: "This message couldn't be sent. Please try again.",
  rate_limited: "There have been too many requests from your connection. Please wait a minute and try again.",
};

export function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class ChatSession {
  private readonly listeners = new Set<(snapshot: ChatSnapshot) => void>();
  private readonly entriesBySeq = new Map<number, ChatEntry>();
  private entriesSorted: ChatEntry[] = [];
  private pending: PendingMessage[];
  private connection: Connection = "connecting";
  private ready = false;
  private sessionId: string | null;
  private seenSeq: number;
  private open: boolean;
  private typing: Sender | null = null;
  private owner: Owner = "bot";
  private agent: AgentInfo | null = null;
  private queue: QueueInfo | null = null;
  private notice: string | null = null;
  private rating: RatingStatus = "none";
  private maxMessageChars = DEFAULT_MAX_MESSAGE_CHARS;
  /** Set by startNewChat: the next session request asks for a fresh conversation. */
  private freshNext = false;
  /** The newest seq session_state described: older handoff entries (the replay) are
   * shown but do not change who owns the chat, which session_state already told. */
  private stateSeq = 0;
  private readonly newId: () => string;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;

  constructor(
    private readonly transport: Transport,
    private readonly storage: StorageLike,
    private readonly options: ChatOptions,
  ) {
    this.newId = options.newId ?? randomId;
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    const stored = this.load();
    this.sessionId = stored.sessionId;
    this.seenSeq = stored.seenSeq;
    this.open = stored.open;
    this.pending = stored.pending.map((message) =>
      message.status === "failed" ? message : { ...message, status: "waiting" },
    );
    this.listen();
  }

  /** Connects; events start flowing to subscribers. */
  start(): void {
    this.transport.connect();
  }

  subscribe(listener: (snapshot: ChatSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot());
    return () => this.listeners.delete(listener);
  }

  snapshot(): ChatSnapshot {
    return {
      connection: this.connection,
      ready: this.ready,
      sessionId: this.sessionId,
      entries: this.entriesSorted,
      pending: this.pending,
      typing: this.typing,
      owner: this.owner,
      agent: this.agent,
      queue: this.queue,
      quickReplies: this.latestQuickReplies(),
      unread: this.unreadCount(),
      open: this.open,
      notice: this.notice,
      rating: this.rating,
      maxMessageChars: this.maxMessageChars,
    };
  }

  /** Sends a message (now, or as soon as the connection is back). Returns a problem
   * to show instead when it cannot be sent at all (the text stays with the visitor). */
  send(text: string, title?: string): string | null {
    const message = text.trim();
    if (!message) return PROBLEMS.empty_message;
    if (message.length > this.maxMessageChars) {
      return `This message is too long: the limit is ${this.maxMessageChars} characters.`;
    }
    if (this.owner === "closed") this.startNewChat();
    const pending: PendingMessage = {
      clientMessageId: this.newId(),
      text: message,
      status: "waiting",
      ...(title ? { title } : {}),
    };
    this.pending = [...this.pending, pending];
    this.notice = null;
    this.sendPending(pending.clientMessageId);
    this.changed();
    return null;
  }

  /** Sends a quick reply's payload; its title is what the visitor sees they said (and
   * what the server records). */
  choose(reply: QuickReply): void {
    this.send(reply.payload, reply.title || undefined);
  }

  /** Sends a failed message again. */
  retry(clientMessageId: string): void {
    if (!this.updatePending(clientMessageId, { status: "waiting", problem: undefined })) return;
    this.sendPending(clientMessageId);
    this.changed();
  }

  /** Drops a failed message; returns its text so the visitor can edit it. */
  discard(clientMessageId: string): string | null {
    const message = this.pending.find((item) => item.clientMessageId === clientMessageId);
    if (!message) return null;
    this.pending = this.pending.filter((item) => item !== message);
    this.changed();
    return message.title ?? message.text;
  }

  setTyping(typing: boolean): void {
    if (this.ready) this.transport.emit("typing", { typing });
  }

  setOpen(open: boolean): void {
    this.open = open;
    if (open) this.seenSeq = Math.max(this.seenSeq, this.newestSeq());
    this.changed();
  }

  endChat(): void {
    if (this.ready && this.owner !== "closed") this.transport.emit("end_chat", {});
  }

  /** Sends the visitor's rating of this conversation; false when it cannot be sent now
   * (not connected: the conversation it belongs to may be gone after a reconnect). */
  rate(score: number, comment: string): boolean {
    if (!Number.isInteger(score) || score < 1 || score > 5) return false;
    if (!this.ready) {
      this.notice = "We're not connected right now; please send your rating in a moment.";
      this.changed();
      return false;
    }
    const trimmed = comment.trim().slice(0, 2000);
    this.rating = "sending";
    this.transport.emit("rating", trimmed ? { score, comment: trimmed } : { score });
    this.changed();
    return true;
  }

  /** Forgets the closed conversation; the next session request starts a new one. */
  startNewChat(): void {
    this.entriesBySeq.clear();
    this.entriesSorted = [];
    this.sessionId = null;
    this.seenSeq = 0;
    this.owner = "bot";
    this.agent = null;
    this.queue = null;
    this.typing = null;
    this.rating = "none";
    this.notice = null;
    this.freshNext = true;
    this.ready = false;
    if (this.transport.connected) this.requestSession();
    this.changed();
  }

  private listen(): void {
    const transport = this.transport;
    transport.onStatus((status) => this.onStatus(status));
    transport.on("session_confirm", (sessionId) => this.onSessionConfirm(sessionId));
    transport.on("session_state", (state) => this.onSessionState(state));
    transport.on("visitor_uttered", (data) => this.onVisitorUttered(data));
    transport.on("bot_uttered", (data) => this.onBotUttered(data));
    transport.on("handoff", (data) => this.onHandoff(data));
    transport.on("queue_update", (data) => {
      this.queue = {
        position: data.position,
        waitSeconds: data.wait_seconds,
        text: data.text,
        agent: data.agent ?? null,
      };
      this.changed();
    });
    transport.on("message_ack", (data) => this.onAck(data));
    transport.on("typing", (data) => this.onTyping(data));
    transport.on("rating_saved", () => {
      this.rating = "saved";
      this.changed();
    });
    transport.on("slow_down", (data) => this.onSlowDown(data));
    transport.on("error", (data) => this.onError(data));
  }

  private onStatus(status: ConnectionStatus): void {
    this.ready = false;
    this.typing = null;
    if (status === "connected") {
      this.connection = "connected";
      this.requestSession();
    } else {
      this.connection = "reconnecting";
      this.pending = this.pending.map((message) =>
        message.status === "sent" ? { ...message, status: "waiting" } : message,
      );
    }
    this.changed();
  }

  private requestSession(): void {
    const fresh = this.freshNext;
    this.freshNext = false;
    this.transport.emit("session_request", {
      protocol: PROTOCOL_VERSION,
      session_id: fresh ? null : this.sessionId,
      last_seq: fresh ? 0 : this.newestSeq(),
      ...(this.options.user ? { user: this.options.user } : {}),
    });
  }

  private onSessionConfirm(sessionId: string): void {
    if (typeof sessionId !== "string" || !sessionId) return;
    if (this.sessionId !== null && sessionId !== this.sessionId) {
      // The old conversation is gone (closed, expired or not ours): show the new one.
      this.entriesBySeq.clear();
      this.entriesSorted = [];
      this.seenSeq = 0;
      this.agent = null;
      this.queue = null;
      this.rating = "none";
    }
    this.sessionId = sessionId;
    this.changed();
  }

  private onSessionState(state: SessionState): void {
    this.ready = true;
    this.stateSeq = state.last_seq ?? 0;
    this.owner = state.owner;
    this.agent = state.agent ?? null;
    this.queue = state.queue
      ? {
          position: state.queue.position,
          waitSeconds: state.queue.wait_seconds,
          text: null,
          agent: state.queue.agent ?? null,
        }
      : null;
    this.maxMessageChars = state.limits?.max_message_chars ?? DEFAULT_MAX_MESSAGE_CHARS;
    for (const message of this.pending) {
      if (message.status === "waiting") this.sendPending(message.clientMessageId);
    }
    this.changed();
  }

  private onVisitorUttered(data: VisitorUttered): void {
    if (data.client_message_id) this.dropPending(data.client_message_id);
    this.addEntry({
      seq: data.seq,
      at: data.at,
      kind: "visitor",
      text: data.text,
      clientMessageId: data.client_message_id ?? null,
    });
  }

  private onBotUttered(data: BotUttered): void {
    const sender = data.sender ?? { kind: "bot" };
    if (this.typing && this.typing.kind === sender.kind) this.typing = null;
    if (typeof data.seq !== "number") {
      // A live notice that is not part of the transcript.
      this.notice = data.text ?? null;
      this.changed();
      return;
    }
    this.addEntry({
      seq: data.seq,
      at: data.at ?? new Date().toISOString(),
      kind: sender.kind,
      text: data.text ?? "",
      sender,
      quickReplies: data.quick_replies ?? [],
    });
  }

  private onHandoff(data: HandoffEvent): void {
    if (data.seq > this.stateSeq && !this.entriesBySeq.has(data.seq)) this.applyHandoff(data);
    this.addEntry({
      seq: data.seq,
      at: data.at,
      kind: "handoff",
      text: data.text ?? "",
      handoff: data,
    });
  }

  private applyHandoff(data: HandoffEvent): void {
    switch (data.state) {
      case "queued":
        this.owner = "queued";
        this.agent = null;
        this.queue = {
          position: data.position ?? null,
          waitSeconds: data.wait_seconds ?? null,
          text: null,
          agent: data.agent ?? null,
        };
        break;
      case "assigned":
      case "transferred":
        this.owner = "agent";
        this.agent = data.agent ?? null;
        this.queue = null;
        break;
      case "handed_back":
        this.owner = "bot";
        this.agent = null;
        this.queue = null;
        break;
      case "closed":
        this.owner = "closed";
        this.queue = null;
        this.typing = null;
        break;
    }
  }

  private onAck(data: MessageAck): void {
    if (!data.client_message_id) return;
    // Shown as pending until its entry arrives (visitor_uttered), unless it already has.
    if (this.entriesBySeq.has(data.seq)) this.dropPending(data.client_message_id);
    else this.updatePending(data.client_message_id, { status: "sent" });
    this.changed();
  }

  private onTyping(data: TypingEvent): void {
    if (!data.sender) return;
    if (data.typing) this.typing = data.sender;
    else if (this.typing?.kind === data.sender.kind) this.typing = null;
    this.changed();
  }

  private onSlowDown(data: SlowDown): void {
    const id = data.client_message_id;
    if (!id || !this.updatePending(id, { status: "waiting" })) return;
    this.notice = "You're sending messages quickly; this one follows in a moment.";
    this.setTimer(() => {
      const message = this.pending.find((item) => item.clientMessageId === id);
      if (message?.status === "waiting") {
        this.sendPending(id);
        this.changed();
      }
    }, Math.max(100, data.retry_after_ms));
    this.changed();
  }

  private onError(data: ErrorEvent): void {
    if (data.error === "conversation_closed") {
      // Closed elsewhere (another tab, an agent): start again and resend what failed.
      const waiting = this.pending;
      this.startNewChat();
      this.pending = waiting.map((message) => ({ ...message, status: "waiting" }));
      this.changed();
      return;
    }
    const failed =
      !!data.client_message_id &&
      this.updatePending(data.client_message_id, {
        status: "failed",
        problem: PROBLEMS[data.error] ?? "This message couldn't be sent.",
      });
    if (failed) {
      // shown on the message itself
    } else if (data.error === "rate_limited" && data.event === "typing") {
      // Only the agents' typing indicator missed something: nothing for the visitor to do.
    } else if (data.error !== "identity_rejected") {
      this.notice = PROBLEMS[data.error] ?? "Something went wrong. Please try again.";
    }
    this.changed();
  }

  /** Emits a pending message if the session is ready (else it waits for session_state). */
  private sendPending(clientMessageId: string): void {
    const message = this.pending.find((item) => item.clientMessageId === clientMessageId);
    if (!this.ready || !message) return;
    this.updatePending(clientMessageId, { status: "sent" });
    this.transport.emit("user_uttered", { message: message.text, client_message_id: clientMessageId });
  }

  /** Replaces a pending message with an updated copy (snapshots never change under a
   * view); false if there is no such message. */
  private updatePending(clientMessageId: string, change: Partial<PendingMessage>): boolean {
    let found = false;
    this.pending = this.pending.map((item) => {
      if (item.clientMessageId !== clientMessageId) return item;
      found = true;
      return { ...item, ...change };
    });
    return found;
  }

  private dropPending(clientMessageId: string): void {
    this.pending = this.pending.filter((item) => item.clientMessageId !== clientMessageId);
  }

  private addEntry(entry: ChatEntry): void {
    if (!Number.isInteger(entry.seq) || entry.seq < 1 || this.entriesBySeq.has(entry.seq)) return;
    this.entriesBySeq.set(entry.seq, entry);
    const sorted = this.entriesSorted;
    if (sorted.length === 0 || sorted[sorted.length - 1].seq < entry.seq) {
      this.entriesSorted = [...sorted, entry];
    } else {
      this.entriesSorted = [...sorted, entry].sort((a, b) => a.seq - b.seq);
    }
    if (this.open) this.seenSeq = Math.max(this.seenSeq, entry.seq);
    this.changed();
  }

  private newestSeq(): number {
    const sorted = this.entriesSorted;
    return sorted.length ? sorted[sorted.length - 1].seq : 0;
  }

  /** The buttons of the newest message, as long as the visitor has not written since
   * (handoff lines in between do not count: "nobody is free" comes with its choices
   * just before the queued line). */
  private latestQuickReplies(): readonly QuickReply[] {
    if (this.pending.length || this.owner === "closed") return [];
    for (let index = this.entriesSorted.length - 1; index >= 0; index--) {
      const entry = this.entriesSorted[index];
      if (entry.kind === "handoff") continue;
      return entry.kind === "visitor" ? [] : (entry.quickReplies ?? []);
    }
    return [];
  }

  private unreadCount(): number {
    if (this.open) return 0;
    return this.entriesSorted.filter(
      (entry) => entry.seq > this.seenSeq && entry.kind !== "visitor",
    ).length;
  }

  private changed(): void {
    this.save();
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  private load(): Stored {
    const empty: Stored = { sessionId: null, seenSeq: 0, open: false, pending: [] };
    try {
      const raw = this.storage.getItem(this.options.storageKey);
      if (!raw) return empty;
      const value = JSON.parse(raw) as Partial<Stored>;
      return {
        sessionId: typeof value.sessionId === "string" ? value.sessionId : null,
        seenSeq: Number.isInteger(value.seenSeq) ? (value.seenSeq as number) : 0,
        open: value.open === true,
        pending: Array.isArray(value.pending)
          ? value.pending.filter(
              (item): item is PendingMessage =>
                typeof item?.clientMessageId === "string" && typeof item?.text === "string",
            )
          : [],
      };
    } catch {
      return empty;
    }
  }

  private save(): void {
    const stored: Stored = {
      sessionId: this.sessionId,
      seenSeq: this.seenSeq,
      open: this.open,
      pending: this.pending,
    };
    try {
      this.storage.setItem(this.options.storageKey, JSON.stringify(stored));
    } catch {
      // Storage full or blocked (private mode): the chat still works for this page.
    }
  }
}
