/** The console page: the live queue, the agent's chats, and the open chat (packet,
 * transcript, reply box, notes, earlier conversations, actions).
 *
 * State comes from the agent API and stays live through the `/agents` socket: every
 * change (a new handoff, a claim by someone else, a message, a transfer) is pushed, so
 * nothing needs a reload. Customer text is only ever set as text. */

import { io, type Socket } from "socket.io-client";
import { element } from "../../../widget/src/dom";
import { renderText } from "../../../widget/src/linkify";
import { chime, notificationsAvailable, notify } from "./alerts";
import type {
  Agent,
  AgentWithStatus,
  ChatListItem,
  Earlier,
  Note,
  QueueEntry,
  TranscriptEntry,
} from "./api";
import { AgentApi, ApiError } from "./api";
import {
  categoryLabel,
  clock,
  customerLabel,
  floodLabel,
  reservedFor,
  secondsSince,
  speaker,
  waitingFor,
} from "./format";
import { type Packet, renderPacket } from "./packet";

const FORMS = ["transfer", "hand-back", "close"] as const;
type ActionForm = (typeof FORMS)[number];
/** The button that opens each action form. */
const FORM_BUTTONS: Record<ActionForm, string> = {
  transfer: "transfer",
  "hand-back": "hand-back",
  close: "close-chat",
};
const TYPING_REPEAT_MS = 2000;
const TYPING_IDLE_MS = 3000;

interface EntryEvent {
  chat_id: string;
  event: string;
  data: Record<string, unknown>;
  kind: string;
}

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`console.html has no #${id}`);
  return found as T;
}

export class ConsoleApp {
  private readonly api = new AgentApi(() => this.toLogin());
  private socket: Socket | null = null;
  private me: Agent | null = null;
  /** Agent id → name, for notes and the transfer picker. */
  private agentNames = new Map<string, string>();
  private queue: QueueEntry[] = [];
  private chats: ChatListItem[] = [];
  private openId: string | null = null;
  private shownSeqs = new Set<number>();
  private lastSeq = 0;
  private knownQueue = new Set<string>();
  private firstQueue = true;
  /** The chat being claimed from this console (it opens when the claim answers). */
  private claiming: string | null = null;
  /** Bumped by every notes load: an older answer arriving late is dropped. */
  private notesLoad = 0;
  private typingSentAt = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;

  async start(): Promise<void> {
    try {
      const { agent, status } = await this.api.me();
      this.me = agent;
      byId("agent-name").textContent = agent.name;
      if (agent.avatar_url) {
        const avatar = byId<HTMLImageElement>("agent-avatar");
        avatar.src = agent.avatar_url;
        avatar.hidden = false;
      }
      byId<HTMLSelectElement>("status").value = status === "away" ? "away" : "online";
    } catch {
      this.toLogin();
      return;
    }
    this.wireControls();
    await Promise.all([this.loadCannedReplies(), this.loadAgents()]);
    this.connect();
    setInterval(() => this.renderQueue(), 15000);
  }

  private toLogin(): void {
    window.location.assign("/console/login");
  }

  // The socket: the console's live feed.

  private connect(): void {
    const socket = io("/agents", { path: "/socket.io", transports: ["websocket"] });
    this.socket = socket;
    const connection = byId("connection");
    socket.on("connect", () => {
      connection.textContent = "";
      socket.emit("sync", {}, (state: { error?: string; queue: QueueEntry[] }) => {
        if (state.error) return this.toLogin();
        this.setQueue(state.queue);
        void this.refreshChats();
      });
    });
    socket.on("disconnect", (reason: string) => {
      connection.textContent = "Reconnecting…";
      // The server closed it (session ended: logged out elsewhere, disabled, new
      // password): the API call tells and redirects to the login page.
      if (reason === "io server disconnect") void this.api.me().catch(() => undefined);
    });
    socket.on("connect_error", () => {
      connection.textContent = "Reconnecting…";
      // A refused handshake is an ended session: the API call tells and redirects.
      void this.api.me().catch(() => undefined);
    });
    socket.on("queue", (data: { entries: QueueEntry[] }) => this.setQueue(data.entries));
    socket.on("chat_assigned", (data: { chat_id: string }) => {
      void this.refreshChats().then(() => {
        // A chat given by a colleague (transfer) opens if nothing else is open.
        if (!this.openId && !this.claiming) void this.openChat(data.chat_id);
      });
    });
    socket.on("chat_released", (data: { chat_id: string }) => {
      this.chats = this.chats.filter((chat) => chat.chat_id !== data.chat_id);
      this.renderChats();
      if (this.openId === data.chat_id) {
        this.closeView();
        this.toast("That chat is no longer yours (transferred, handed back or closed).");
      }
    });
    socket.on("entry", (data: EntryEvent) => this.onEntry(data));
    socket.on("visitor_typing", (data: { chat_id: string; typing: boolean }) => {
      if (data.chat_id === this.openId) byId("visitor-typing").hidden = !data.typing;
    });
    socket.on("note_added", (data: { chat_id: string }) => {
      if (data.chat_id === this.openId) void this.loadNotes(data.chat_id);
    });
  }

  private setQueue(entries: QueueEntry[]): void {
    const fresh = entries.filter((entry) => !this.knownQueue.has(entry.chat_id));
    this.knownQueue = new Set(entries.map((entry) => entry.chat_id));
    this.queue = entries;
    this.renderQueue();
    if (!this.firstQueue && fresh.length) {
      chime();
      const entry = fresh[0];
      notify("New chat waiting", entry.summary || categoryLabel(entry.category), () =>
        document.querySelector<HTMLButtonElement>(`[data-chat-id="${entry.chat_id}"] .claim`)?.focus(),
      );
    }
    this.firstQueue = false;
  }

  private onEntry(data: EntryEvent): void {
    // A live handoff line arrives as the visitor's `handoff` event; loaded from the
    // transcript it is a system entry with a `handoff` field: make both the same.
    const fields = data.data as Record<string, unknown>;
    const entry = (
      data.event === "handoff"
        ? { seq: fields.seq, at: fields.at, kind: data.kind, text: fields.text, handoff: fields }
        : { ...fields, kind: data.kind }
    ) as TranscriptEntry;
    if (data.chat_id === this.openId) {
      this.appendEntry(entry);
      if (entry.kind === "visitor") byId("visitor-typing").hidden = true;
      void this.markRead(data.chat_id, entry.seq);
    } else if (entry.kind === "visitor") {
      const chat = this.chats.find((item) => item.chat_id === data.chat_id);
      if (chat) {
        chat.unread += 1;
        this.renderChats();
      }
    }
    const chat = this.chats.find((item) => item.chat_id === data.chat_id);
    if (chat) {
      chat.last_entry = { seq: entry.seq, kind: entry.kind, text: entry.text ?? null, at: entry.at };
      this.renderChats();
    }
  }

  // The sidebar.

  private renderQueue(): void {
    const list = byId<HTMLUListElement>("queue-list");
    list.textContent = "";
    byId("queue-empty").hidden = this.queue.length > 0;
    byId("queue-count").textContent = this.queue.length ? String(this.queue.length) : "";
    const now = Date.now();
    for (const entry of this.queue) {
      const forMe = entry.routed_to === this.me?.id;
      const item = element(document, "li", {
        class: `queue-item${forMe ? " for-me" : ""}`,
        "data-chat-id": entry.chat_id,
      });
      item.append(element(document, "p", { class: "summary" }, entry.summary || "No summary"));
      const meta = element(document, "div", { class: "meta" });
      meta.append(
        element(document, "span", { class: "tag category" }, categoryLabel(entry.category)),
        element(document, "span", { class: "waiting" }, waitingFor(secondsSince(entry.queued_at, now))),
        element(document, "span", { class: "position" }, `#${entry.position}`),
      );
      if (forMe) meta.append(element(document, "span", { class: "tag" }, "routed to you"));
      const reservedForOther = reservedFor(entry, this.me?.id ?? null, Date.now());
      if (reservedForOther) {
        const name = this.agentNames.get(reservedForOther) ?? reservedForOther;
        meta.append(element(document, "span", { class: "tag reserved" }, `reserved for ${name}`));
      }
      if (entry.requeued_from) meta.append(element(document, "span", { class: "tag" }, "back in the queue"));
      const flood = floodLabel(entry.flood_held_back);
      if (flood) meta.append(element(document, "span", { class: "tag flood" }, flood));
      if (entry.email) meta.append(element(document, "span", {}, `email: ${entry.email}`));
      const claim = element(document, "button", { type: "button", class: "primary claim" }, "Claim");
      if (reservedForOther) {
        claim.disabled = true;
        claim.title = "The customer was told another colleague will join; anyone may claim it once that time is up.";
      }
      claim.addEventListener("click", () => void this.claim(entry.chat_id, claim));
      item.append(meta, claim);
      list.append(item);
    }
  }

  private async refreshChats(): Promise<void> {
    try {
      this.chats = await this.api.call<ChatListItem[]>("GET", "/chats");
    } catch (error) {
      this.report(error);
    }
    this.renderChats();
  }

  private renderChats(): void {
    const list = byId<HTMLUListElement>("chat-list");
    list.textContent = "";
    byId("chats-empty").hidden = this.chats.length > 0;
    for (const chat of this.chats) {
      const item = element(document, "li", {
        class: "chat-item",
        "data-chat-id": chat.chat_id,
        "aria-current": String(chat.chat_id === this.openId),
      });
      const open = element(document, "button", { type: "button", class: "open-chat" });
      const unread = chat.chat_id === this.openId ? 0 : chat.unread;
      const badge = element(document, "span", {
        class: "unread",
        "aria-label": `${unread} unread`,
      }, String(unread));
      badge.hidden = unread === 0;
      open.append(element(document, "span", { class: "summary" }, chat.summary || customerLabel(chat.customer_key)), badge);
      open.addEventListener("click", () => void this.openChat(chat.chat_id));
      item.append(open);
      if (chat.last_entry?.text) {
        item.append(element(document, "p", { class: "last" }, chat.last_entry.text));
      }
      list.append(item);
    }
  }

  private async claim(chatId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.claiming = chatId;
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/claim"));
      await this.refreshChats();
      await this.openChat(chatId);
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.code === "not_queued") {
        this.toast("Someone else took that chat.");
      } else if (error instanceof ApiError && error.code === "reserved") {
        this.toast("That chat is reserved for the colleague the customer was told about.");
      } else this.report(error);
    } finally {
      this.claiming = null;
    }
  }

  // The open chat.

  private async openChat(chatId: string): Promise<void> {
    const chat = this.chats.find((item) => item.chat_id === chatId);
    this.openId = chatId;
    this.shownSeqs = new Set();
    this.lastSeq = 0;
    byId("welcome").hidden = true;
    const view = byId("chat");
    view.hidden = false;
    view.dataset.chatId = chatId;
    byId("transcript").textContent = "";
    byId("packet").textContent = "";
    byId("visitor-typing").hidden = true;
    this.hideForms();
    byId("chat-title").textContent = chat?.summary || "Conversation";
    byId("chat-subtitle").textContent = chat
      ? `${customerLabel(chat.customer_key)} · ${categoryLabel(chat.category)}`
      : "";
    this.renderChats();
    try {
      const packet = await this.api.call<Packet>("GET", this.api.chatPath(chatId, "/packet"));
      if (this.openId === chatId) renderPacket(byId("packet"), packet);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) this.report(error);
    }
    await Promise.all([this.loadTranscript(chatId), this.loadNotes(chatId), this.loadEarlier(chatId)]);
    if (this.openId === chatId && chat) {
      chat.unread = 0;
      this.renderChats();
    }
    byId<HTMLTextAreaElement>("reply-text").focus();
  }

  private closeView(): void {
    this.openId = null;
    byId("chat").hidden = true;
    byId("welcome").hidden = false;
    this.renderChats();
  }

  private async loadTranscript(chatId: string): Promise<void> {
    let after = 0;
    for (;;) {
      const page = await this.api.call<{ entries: TranscriptEntry[]; last_seq: number; has_more: boolean }>(
        "GET",
        this.api.chatPath(chatId, `/transcript?after=${after}`),
      );
      if (this.openId !== chatId) return;
      for (const entry of page.entries) this.appendEntry(entry);
      after = page.last_seq;
      if (!page.has_more) break;
    }
    await this.markRead(chatId, this.lastSeq);
  }

  private entryNode(entry: TranscriptEntry): HTMLLIElement {
    const kind = entry.handoff ? "handoff" : entry.kind;
    const item = element(document, "li", { class: "entry", "data-kind": kind, "data-seq": String(entry.seq) });
    const text = entry.handoff?.text ?? entry.text ?? "";
    const who = speaker(kind, entry.sender?.full_name ?? entry.sender?.name);
    if (who) {
      const label = element(document, "span", { class: "who" }, who);
      label.append(element(document, "span", { class: "when" }, clock(entry.at)));
      item.append(label);
    }
    const body = element(document, "span", { class: "text" });
    body.append(renderText(text, document));
    item.append(body);
    return item;
  }

  private appendEntry(entry: TranscriptEntry): void {
    if (this.shownSeqs.has(entry.seq)) return;
    this.shownSeqs.add(entry.seq);
    this.lastSeq = Math.max(this.lastSeq, entry.seq);
    // A handoff without a line of its own: the bot's message just before said it.
    if (entry.handoff && !entry.handoff.text) return;
    const transcript = byId<HTMLOListElement>("transcript");
    const node = this.entryNode(entry);
    const later = [...transcript.children].find(
      (child) => Number((child as HTMLElement).dataset.seq) > entry.seq,
    );
    transcript.insertBefore(node, later ?? null);
    if (!later) transcript.scrollTop = transcript.scrollHeight;
  }

  private async markRead(chatId: string, seq: number): Promise<void> {
    if (seq <= 0) return;
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/read"), { seq });
    } catch {
      // The chat may have moved on; the unread count is only a convenience.
    }
  }

  private async loadNotes(chatId: string): Promise<void> {
    const load = ++this.notesLoad;
    const notes = await this.api.call<Note[]>("GET", this.api.chatPath(chatId, "/notes"));
    if (this.openId !== chatId || load !== this.notesLoad) return;
    const list = byId<HTMLUListElement>("note-list");
    list.textContent = "";
    for (const note of notes) {
      const item = element(document, "li", { class: "note" });
      item.append(
        element(
          document,
          "span",
          { class: "who" },
          `${this.agentNames.get(note.agent_id) ?? note.agent_id} · ${clock(note.at)}`,
        ),
        element(document, "span", { class: "text" }, note.text),
      );
      list.append(item);
    }
  }

  private async loadEarlier(chatId: string): Promise<void> {
    const earlier = await this.api.call<Earlier[]>("GET", this.api.chatPath(chatId, "/earlier"));
    if (this.openId !== chatId) return;
    const list = byId<HTMLUListElement>("earlier-list");
    list.textContent = "";
    byId("earlier-transcript").hidden = true;
    byId("earlier-empty").hidden = earlier.length > 0;
    for (const conversation of earlier) {
      const item = element(document, "li");
      const started = conversation.started_at ? new Date(conversation.started_at).toLocaleString() : "";
      const show = element(
        document,
        "button",
        { type: "button", class: "show-earlier" },
        `${started}: ${conversation.summary || conversation.outcome}`,
      );
      show.addEventListener("click", () => void this.showEarlier(chatId, conversation.chat_id));
      item.append(show, element(document, "p", { class: "muted small" }, conversation.outcome));
      list.append(item);
    }
  }

  private async showEarlier(chatId: string, otherId: string): Promise<void> {
    const page = await this.api.call<{ entries: TranscriptEntry[] }>(
      "GET",
      this.api.chatPath(chatId, `/earlier/${encodeURIComponent(otherId)}/transcript?after=0`),
    );
    const target = byId<HTMLOListElement>("earlier-transcript");
    target.textContent = "";
    for (const entry of page.entries) target.append(this.entryNode(entry));
    target.hidden = false;
  }

  // Controls.

  private wireControls(): void {
    byId<HTMLSelectElement>("status").addEventListener("change", (event) => {
      const status = (event.target as HTMLSelectElement).value;
      void this.api.call("PUT", "/presence", { status }).catch((error) => this.report(error));
    });
    for (const [button, path] of [
      ["logout", "/logout"],
      ["logout-everywhere", "/logout-everywhere"],
    ] as const) {
      byId(button).addEventListener("click", () => {
        void this.api
          .call("POST", path)
          .catch(() => undefined)
          .finally(() => {
            this.socket?.disconnect();
            this.toLogin();
          });
      });
    }
    const enable = byId<HTMLButtonElement>("enable-notifications");
    enable.hidden = !notificationsAvailable() || Notification.permission !== "default";
    enable.addEventListener("click", () => {
      void Notification.requestPermission().then(() => {
        enable.hidden = true;
      });
    });

    const reply = byId<HTMLFormElement>("reply");
    const text = byId<HTMLTextAreaElement>("reply-text");
    reply.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.sendReply();
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.sendReply();
      }
    });
    text.addEventListener("input", () => this.onTyping());
    byId<HTMLSelectElement>("canned").addEventListener("change", (event) => {
      const select = event.target as HTMLSelectElement;
      if (!select.value) return;
      text.value = text.value ? `${text.value} ${select.value}` : select.value;
      select.value = "";
      text.focus();
    });

    byId<HTMLFormElement>("note-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.addNote();
    });
    byId("transfer").addEventListener("click", () => void this.showTransfer());
    byId("hand-back").addEventListener("click", () => this.toggleForm("hand-back"));
    byId("close-chat").addEventListener("click", () => this.toggleForm("close"));
    byId<HTMLFormElement>("close-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.closeChat();
    });
    byId<HTMLFormElement>("transfer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.transfer();
    });
    byId<HTMLFormElement>("hand-back-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.handBack();
    });
    for (const cancel of document.querySelectorAll<HTMLButtonElement>(".action-form .cancel")) {
      cancel.addEventListener("click", () => this.hideForms());
    }
  }

  private async loadCannedReplies(): Promise<void> {
    const select = byId<HTMLSelectElement>("canned");
    try {
      const replies = await this.api.call<{ title: string; text: string }[]>("GET", "/canned-replies");
      for (const reply of replies) {
        const option = element(document, "option", { value: reply.text }, reply.title);
        select.append(option);
      }
    } catch {
      select.hidden = true;
    }
  }

  private onTyping(): void {
    const chatId = this.openId;
    if (!chatId) return;
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      void this.setTyping(chatId, true);
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.typingSentAt && this.openId) void this.setTyping(this.openId, false);
    this.typingSentAt = 0;
  }

  private async setTyping(chatId: string, typing: boolean): Promise<void> {
    await this.api.call("POST", this.api.chatPath(chatId, "/typing"), { typing }).catch(() => undefined);
  }

  private async sendReply(): Promise<void> {
    const chatId = this.openId;
    const input = byId<HTMLTextAreaElement>("reply-text");
    const text = input.value.trim();
    if (!chatId || !text) return;
    input.value = "";
    this.stopTyping();
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/messages"), { text });
    } catch (error) {
      input.value = text; // kept, so nothing the agent wrote is lost
      this.report(error);
    }
  }

  private async addNote(): Promise<void> {
    const chatId = this.openId;
    const input = byId<HTMLTextAreaElement>("note-text");
    const text = input.value.trim();
    if (!chatId || !text) return;
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/notes"), { text });
      input.value = "";
      await this.loadNotes(chatId);
    } catch (error) {
      this.report(error);
    }
  }

  private hideForms(): void {
    for (const name of FORMS) {
      byId(`${name}-form`).hidden = true;
      byId(FORM_BUTTONS[name]).setAttribute("aria-expanded", "false");
    }
  }

  private toggleForm(name: ActionForm): void {
    const form = byId(`${name}-form`);
    const show = form.hidden;
    this.hideForms();
    form.hidden = !show;
    byId(FORM_BUTTONS[name]).setAttribute("aria-expanded", String(show));
    if (show) form.querySelector<HTMLElement>("select, textarea, button")?.focus();
  }

  private async loadAgents(): Promise<AgentWithStatus[]> {
    const agents = await this.api.call<AgentWithStatus[]>("GET", "/agents");
    this.agentNames = new Map(agents.map((agent) => [agent.id, agent.name]));
    return agents;
  }

  private async showTransfer(): Promise<void> {
    const select = byId<HTMLSelectElement>("transfer-to");
    select.textContent = "";
    try {
      const agents = await this.loadAgents();
      const others = agents.filter((agent) => agent.id !== this.me?.id);
      for (const agent of others) {
        const label = `${agent.name}${agent.team ? ` (${agent.team})` : ""} — ${agent.status}`;
        const option = element(document, "option", { value: agent.id }, label);
        option.disabled = agent.status !== "online";
        select.append(option);
      }
      const firstOnline = others.find((agent) => agent.status === "online");
      if (firstOnline) select.value = firstOnline.id;
    } catch (error) {
      this.report(error);
      return;
    }
    this.toggleForm("transfer");
  }

  private async transfer(): Promise<void> {
    const chatId = this.openId;
    const target = byId<HTMLSelectElement>("transfer-to").value;
    const note = byId<HTMLTextAreaElement>("transfer-note").value.trim();
    if (!chatId || !target) return;
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/transfer"), {
        to_agent_id: target,
        ...(note ? { note } : {}),
      });
      byId<HTMLTextAreaElement>("transfer-note").value = "";
      this.toast("Transferred.");
    } catch (error) {
      this.report(error);
    }
  }

  private async handBack(): Promise<void> {
    const chatId = this.openId;
    if (!chatId) return;
    const note = byId<HTMLTextAreaElement>("hand-back-note").value.trim();
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/hand-back"), {
        resume_point: byId<HTMLSelectElement>("resume-point").value,
        ...(note ? { note } : {}),
      });
      byId<HTMLTextAreaElement>("hand-back-note").value = "";
      this.toast("Handed back to the bot.");
    } catch (error) {
      this.report(error);
    }
  }

  private async closeChat(): Promise<void> {
    const chatId = this.openId;
    if (!chatId) return;
    try {
      await this.api.call("POST", this.api.chatPath(chatId, "/close"));
      this.toast("Chat closed.");
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    if (error instanceof ApiError && error.status === 401) return; // redirecting
    this.toast(error instanceof Error ? error.message : "Something went wrong.");
  }

  private toast(text: string): void {
    const toast = byId("toast");
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, 4000);
  }
}
