/** The widget's DOM inside its shadow root: launcher, panel, messages, composer, rating.
 *
 * Everything from the server is put in the page with textContent or renderText (text
 * nodes and checked http(s) links), never as HTML. */

import type { ChatEntry, ChatSession, ChatSnapshot, PendingMessage } from "./chat";
import type { WidgetConfig } from "./config";
import { element } from "./dom";
import { renderText, safeHref } from "./linkify";
import { widgetCss } from "./styles";
import { repeatsTheBot, transcriptFileName, transcriptText } from "./transcript";

const TYPING_REPEAT_MS = 2000;
const TYPING_IDLE_MS = 3000;

const ICONS = {
  chat: '<path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" fill="currentColor"/>',
  close: '<path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>',
  minimise: '<path d="M6 9l6 6 6-6" stroke="currentColor" stroke-width="2.4" fill="none" stroke-linecap="round"/>',
  download: '<path d="M12 4v11m0 0l-5-5m5 5l5-5M5 20h14" stroke="currentColor" stroke-width="2.2" fill="none" stroke-linecap="round" stroke-linejoin="round"/>',
};

/** An inline icon from the fixed set above (our markup, never server text). */
function icon(doc: Document, name: keyof typeof ICONS): SVGSVGElement {
  const svg = doc.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.innerHTML = ICONS[name];
  return svg;
}

/** The header's line while queued: "Number 2 in the queue · about 3 minutes". */
export function queueLine(position: number | null, waitSeconds: number | null): string {
  if (position === null) return "Waiting for a colleague";
  const place = `Number ${position} in the queue`;
  if (waitSeconds === null) return place;
  const minutes = Math.max(1, Math.round(waitSeconds / 60));
  return `${place} · about ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The header's line while queued for a named person: the visitor was told they
 * will join, so no place in the queue contradicts it. */
export function joiningLine(name: string): string {
  return `${name} will join you in a moment`;
}

export { repeatsTheBot } from "./transcript";

export class WidgetView {
  private readonly doc: Document;
  private readonly root: HTMLDivElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLSpanElement;
  private readonly panel: HTMLDivElement;
  private readonly subtitle: HTMLParagraphElement;
  private readonly agentAvatar: HTMLImageElement;
  private readonly endButton: HTMLButtonElement;
  private readonly connectionLine: HTMLDivElement;
  private readonly notice: HTMLParagraphElement;
  private readonly log: HTMLDivElement;
  private readonly messages: HTMLOListElement;
  private readonly typing: HTMLDivElement;
  private readonly quickReplies: HTMLDivElement;
  private readonly ended: HTMLDivElement;
  private readonly ratingForm: HTMLFormElement;
  private readonly ratingThanks: HTMLParagraphElement;
  private readonly input: HTMLTextAreaElement;
  private readonly nodes = new Map<string, HTMLLIElement>();
  private snapshot: ChatSnapshot;
  private lastTypingSent = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private quickReplyKey = "";

  constructor(
    shadow: ShadowRoot,
    private readonly config: WidgetConfig,
    private readonly chat: ChatSession,
  ) {
    this.doc = shadow.ownerDocument;
    const doc = this.doc;
    const style = element(doc, "style", {}, widgetCss(config));
    this.root = element(doc, "div", { class: "root" });

    this.launcher = element(doc, "button", {
      class: "launcher",
      type: "button",
      "aria-expanded": "false",
      "aria-controls": "chat-panel",
    });
    this.launcher.append(icon(doc, "chat"));
    this.badge = element(doc, "span", { class: "badge", "aria-hidden": "true" });
    this.badge.hidden = true;
    this.launcher.append(this.badge);

    this.panel = element(doc, "div", {
      class: "panel",
      id: "chat-panel",
      role: "dialog",
      "aria-label": config.title,
      "aria-modal": "false",
      "data-connection": "connecting",
    });
    this.panel.hidden = true;

    const header = element(doc, "div", { class: "header" });
    this.agentAvatar = element(doc, "img", { class: "agent-avatar", alt: "" });
    this.agentAvatar.hidden = true;
    const headerText = element(doc, "div", { class: "header-text" });
    headerText.append(
      element(doc, "h2", { class: "title" }, config.title),
      (this.subtitle = element(doc, "p", { class: "subtitle" })),
    );
    const actions = element(doc, "div", { class: "header-actions" });
    const download = this.iconButton("download", "download", "Download transcript");
    this.endButton = element(doc, "button", { class: "end-chat text-button", type: "button" }, "End chat");
    const minimise = this.iconButton("minimise", "minimise", "Minimise chat");
    actions.append(download, this.endButton, minimise);
    header.append(this.agentAvatar, headerText, actions);

    this.connectionLine = element(doc, "div", { class: "connection", role: "status" });
    this.connectionLine.hidden = true;
    this.notice = element(doc, "p", { class: "notice", role: "alert" });
    this.notice.hidden = true;
    // The log (announced politely, scrollable, focusable for keyboard scrolling) holds
    // a real list, so each message keeps its list-item semantics.
    this.log = element(doc, "div", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    this.messages = element(doc, "ol", { class: "messages" });
    this.log.append(this.messages);
    this.typing = element(doc, "div", { class: "typing", "aria-hidden": "true" });
    this.typing.hidden = true;
    this.quickReplies = element(doc, "div", {
      class: "quick-replies",
      role: "group",
      "aria-label": "Suggested replies",
    });
    this.quickReplies.hidden = true;

    this.ended = element(doc, "div", { class: "ended" });
    this.ended.hidden = true;
    this.ratingForm = this.buildRatingForm();
    this.ratingThanks = element(
      doc,
      "p",
      { class: "rating-thanks", role: "status" },
      "Thank you for your rating.",
    );
    this.ratingThanks.hidden = true;
    const endedActions = element(doc, "div", { class: "ended-actions" });
    const newChat = element(
      doc,
      "button",
      { class: "new-chat secondary-button", type: "button" },
      "Start a new chat",
    );
    endedActions.append(newChat);
    this.ended.append(this.ratingForm, this.ratingThanks, endedActions);

    const composer = element(doc, "form", { class: "composer" });
    const inputId = "chat-input";
    composer.append(element(doc, "label", { for: inputId, class: "visually-hidden" }, "Message"));
    this.input = element(doc, "textarea", {
      class: "input",
      id: inputId,
      rows: "1",
      "aria-label": "Message",
      placeholder: "Write a message…",
      autocomplete: "off",
    });
    const send = element(doc, "button", { class: "send", type: "submit" }, "Send");
    composer.append(this.input, send);

    this.panel.append(
      header,
      this.connectionLine,
      this.notice,
      this.log,
      this.typing,
      this.quickReplies,
      this.ended,
      composer,
    );
    this.root.append(this.panel, this.launcher);
    shadow.append(style, this.root);

    this.launcher.addEventListener("click", () => this.setOpen(!this.snapshot.open));
    minimise.addEventListener("click", () => this.setOpen(false));
    download.addEventListener("click", () => this.downloadTranscript());
    this.endButton.addEventListener("click", () => this.chat.endChat());
    newChat.addEventListener("click", () => {
      this.chat.startNewChat();
      this.input.focus();
    });
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.setOpen(false);
      }
    });
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.onInput());

    this.snapshot = chat.snapshot();
    chat.subscribe((snapshot) => this.render(snapshot));
  }

  /** Opens or closes the panel; focus goes to the input or back to the launcher. */
  setOpen(open: boolean): void {
    this.chat.setOpen(open);
    if (open) this.input.focus();
    else this.launcher.focus();
  }

  private iconButton(name: string, glyph: keyof typeof ICONS, label: string): HTMLButtonElement {
    const button = element(this.doc, "button", {
      class: `icon-button ${name}`,
      type: "button",
      "aria-label": label,
      title: label,
    });
    button.append(icon(this.doc, glyph));
    return button;
  }

  private buildRatingForm(): HTMLFormElement {
    const doc = this.doc;
    const form = element(doc, "form", { class: "rating" });
    const fieldset = element(doc, "fieldset");
    fieldset.append(element(doc, "legend", {}, "How did we do? (1 = poor, 5 = great)"));
    const scores = element(doc, "div", { class: "scores" });
    for (let score = 1; score <= 5; score++) {
      const label = element(doc, "label");
      const radio = element(doc, "input", {
        type: "radio",
        name: "score",
        value: String(score),
        "aria-label": `${score} out of 5`,
      });
      label.append(radio, element(doc, "span", { "aria-hidden": "true" }, String(score)));
      scores.append(label);
    }
    fieldset.append(scores);
    const commentId = "rating-comment";
    const comment = element(doc, "textarea", {
      class: "rating-comment",
      id: commentId,
      maxlength: "2000",
    });
    const actions = element(doc, "div", { class: "rating-actions" });
    actions.append(
      element(doc, "button", { class: "rating-submit primary-button", type: "submit" }, "Send rating"),
    );
    form.append(
      fieldset,
      element(doc, "label", { for: commentId, class: "rating-comment-label" }, "Anything to add? (optional)"),
      comment,
      actions,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector<HTMLInputElement>("input[name=score]:checked");
      if (!chosen) {
        form.querySelector<HTMLInputElement>("input[name=score]")?.focus();
        return;
      }
      this.chat.rate(Number(chosen.value), comment.value);
    });
    return form;
  }

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    const problem = this.chat.send(text);
    if (problem) {
      this.showNotice(problem);
      return;
    }
    this.input.value = "";
    this.stopTyping();
  }

  private onInput(): void {
    const now = Date.now();
    if (this.input.value.trim() && now - this.lastTypingSent > TYPING_REPEAT_MS) {
      this.lastTypingSent = now;
      this.chat.setTyping(true);
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.lastTypingSent) {
      this.lastTypingSent = 0;
      this.chat.setTyping(false);
    }
  }

  private showNotice(text: string | null): void {
    this.notice.textContent = text ?? "";
    this.notice.hidden = !text;
  }

  private render(snapshot: ChatSnapshot): void {
    this.snapshot = snapshot;
    this.root.dataset.open = String(snapshot.open);
    this.panel.hidden = !snapshot.open;
    this.panel.dataset.connection = snapshot.connection;
    this.launcher.setAttribute("aria-expanded", String(snapshot.open));
    const unread = snapshot.open ? 0 : snapshot.unread;
    this.badge.hidden = unread === 0;
    this.badge.textContent = unread > 99 ? "99+" : String(unread);
    this.launcher.setAttribute(
      "aria-label",
      snapshot.open
        ? "Close chat"
        : `Open chat${unread ? ` (${unread} unread message${unread === 1 ? "" : "s"})` : ""}`,
    );
    this.connectionLine.hidden = snapshot.connection !== "reconnecting";
    this.connectionLine.textContent =
      snapshot.connection === "reconnecting"
        ? "Reconnecting… your messages will be sent when we're back."
        : "";
    this.showNotice(snapshot.notice);
    this.renderHeader(snapshot);
    this.renderMessages(snapshot);
    this.renderTyping(snapshot);
    this.renderQuickReplies(snapshot);
    const closed = snapshot.owner === "closed";
    this.ended.hidden = !closed;
    this.ratingForm.hidden = snapshot.rating === "saved";
    this.ratingThanks.hidden = snapshot.rating !== "saved";
    this.endButton.disabled = closed || !snapshot.ready;
  }

  private renderHeader(snapshot: ChatSnapshot): void {
    const agent = snapshot.owner === "agent" ? snapshot.agent : null;
    const avatar = agent?.avatar_url ? this.absoluteUrl(agent.avatar_url) : null;
    this.agentAvatar.hidden = !avatar;
    if (avatar && this.agentAvatar.getAttribute("src") !== avatar) {
      this.agentAvatar.src = avatar;
    }
    let subtitle: string;
    if (agent) {
      subtitle = agent.team ? `${agent.name} · ${agent.team}` : agent.name;
    } else if (snapshot.owner === "queued" && snapshot.queue?.agent) {
      subtitle = joiningLine(snapshot.queue.agent.name);
    } else if (snapshot.owner === "queued") {
      subtitle = queueLine(snapshot.queue?.position ?? null, snapshot.queue?.waitSeconds ?? null);
    } else if (snapshot.owner === "closed") {
      subtitle = "This chat has ended";
    } else {
      subtitle = "We usually reply in seconds";
    }
    this.subtitle.textContent = subtitle;
  }

  private renderMessages(snapshot: ChatSnapshot): void {
    const wanted: [string, () => HTMLLIElement, string][] = [];
    if (this.config.greeting) {
      wanted.push(["greeting", () => this.greetingNode(), "greeting"]);
    }
    snapshot.entries.forEach((entry, index) => {
      if (repeatsTheBot(entry, snapshot.entries[index - 1])) return;
      const key = entry.kind === "visitor" && entry.clientMessageId ? `msg:${entry.clientMessageId}` : `seq:${entry.seq}`;
      wanted.push([key, () => this.entryNode(entry), `seq:${entry.seq}`]);
    });
    for (const message of snapshot.pending) {
      wanted.push([
        `msg:${message.clientMessageId}`,
        () => this.pendingNode(message),
        `pending:${message.status}`,
      ]);
    }
    const log = this.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    const keep = new Set(wanted.map(([key]) => key));
    for (const [key, node] of this.nodes) {
      if (!keep.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
    let previous: HTMLLIElement | null = null;
    let added = false;
    for (const [key, build, version] of wanted) {
      let node = this.nodes.get(key);
      if (node && node.dataset.version !== version) {
        const replacement = build();
        replacement.dataset.version = version;
        node.replaceWith(replacement);
        node = replacement;
        this.nodes.set(key, node);
      } else if (!node) {
        node = build();
        node.dataset.version = version;
        this.nodes.set(key, node);
        added = true;
      }
      const expectedPosition: ChildNode | null = previous ? previous.nextSibling : this.messages.firstChild;
      if (expectedPosition !== node) this.messages.insertBefore(node, expectedPosition);
      previous = node;
    }
    if (added && (atBottom || snapshot.pending.length || snapshot.owner === "closed")) {
      log.scrollTop = log.scrollHeight;
    }
  }

  private greetingNode(): HTMLLIElement {
    const item = element(this.doc, "li", { class: "entry", "data-kind": "greeting" });
    const body = element(this.doc, "div", { class: "entry-body" });
    body.append(element(this.doc, "div", { class: "bubble" }, this.config.greeting));
    item.append(body);
    return item;
  }

  private entryNode(entry: ChatEntry): HTMLLIElement {
    const doc = this.doc;
    const item = element(doc, "li", {
      class: "entry",
      "data-kind": entry.kind,
      "data-seq": String(entry.seq),
    });
    if (entry.kind === "handoff") {
      item.append(element(doc, "p", { class: "handoff-line" }, entry.text));
      return item;
    }
    const body = element(doc, "div", { class: "entry-body" });
    if (entry.kind === "agent") {
      const avatarUrl = entry.sender?.avatar_url ? this.absoluteUrl(entry.sender.avatar_url) : null;
      const avatar = element(doc, "img", { class: "avatar", alt: "" });
      // A picture that no longer answers (an older avatar id) is hidden, not broken.
      avatar.addEventListener("error", () => {
        avatar.hidden = true;
      });
      if (avatarUrl) avatar.src = avatarUrl;
      else avatar.hidden = true;
      item.append(avatar);
      body.append(element(doc, "span", { class: "sender" }, entry.sender?.name ?? "Agent"));
    }
    const bubble = element(doc, "div", { class: "bubble" });
    bubble.append(renderText(entry.text, doc));
    body.append(bubble);
    item.append(body);
    return item;
  }

  private pendingNode(message: PendingMessage): HTMLLIElement {
    const doc = this.doc;
    const item = element(doc, "li", { class: "entry", "data-kind": "visitor", "data-pending": "true" });
    const body = element(doc, "div", { class: "entry-body" });
    const bubble = element(doc, "div", { class: "bubble" });
    bubble.append(renderText(message.title ?? message.text, doc));
    body.append(bubble);
    if (message.status === "failed") {
      const failed = element(doc, "div", { class: "failed", role: "alert" });
      const retry = element(doc, "button", { class: "link-button retry", type: "button" }, "Try again");
      const edit = element(doc, "button", { class: "link-button edit", type: "button" }, "Edit");
      retry.addEventListener("click", () => this.chat.retry(message.clientMessageId));
      edit.addEventListener("click", () => {
        const text = this.chat.discard(message.clientMessageId);
        if (text !== null) {
          this.input.value = text;
          this.input.focus();
        }
      });
      failed.append(element(doc, "span", {}, message.problem ?? "Not sent."), retry, edit);
      body.append(failed);
    } else {
      body.append(
        element(doc, "span", { class: "meta" }, message.status === "sent" ? "Sending…" : "Waiting to send"),
      );
    }
    item.append(body);
    return item;
  }

  private renderTyping(snapshot: ChatSnapshot): void {
    const who = snapshot.typing;
    this.typing.hidden = !who;
    if (!who) return;
    const name = who.kind === "agent" ? (who.name ?? "Your agent") : this.config.title;
    this.typing.textContent = "";
    this.typing.append(
      element(this.doc, "span", {}, `${name} is typing`),
      element(this.doc, "span", { class: "dots" }),
    );
  }

  private renderQuickReplies(snapshot: ChatSnapshot): void {
    const key = JSON.stringify(snapshot.quickReplies);
    if (key === this.quickReplyKey) return;
    this.quickReplyKey = key;
    this.quickReplies.textContent = "";
    this.quickReplies.hidden = snapshot.quickReplies.length === 0;
    for (const reply of snapshot.quickReplies) {
      const button = element(this.doc, "button", { class: "quick-reply", type: "button" }, reply.title);
      button.addEventListener("click", () => {
        this.chat.choose(reply);
        this.input.focus();
      });
      this.quickReplies.append(button);
    }
  }

  /** A server-relative avatar URL made absolute against the gateway (the widget may sit
   * on another origin); anything but http(s) is dropped. */
  private absoluteUrl(address: string): string | null {
    try {
      return safeHref(new URL(address, this.config.serverUrl).href);
    } catch {
      return null;
    }
  }

  private downloadTranscript(): void {
    const text = transcriptText(this.snapshot.entries, this.config.title);
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = element(this.doc, "a", { href: url, download: transcriptFileName(new Date()) });
    link.hidden = true;
    this.root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
}
