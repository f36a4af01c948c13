/** The widget's entry point: one `<script src=".../widget.js" data-...>` tag mounts it.
 *
 * It reads its options from the tag, puts itself in a shadow root (no CSS crosses the
 * boundary either way) and connects to the gateway. */

import { ChatSession } from "./chat";
import { readConfig } from "./config";
import { socketTransport } from "./transport";
import { WidgetView } from "./view";

const HOST_ID = "complaint-chat";

declare global {
  interface Window {
    ComplaintChat?: { open(): void; close(): void };
  }
}

function ownScriptTag(): HTMLScriptElement | null {
  if (document.currentScript instanceof HTMLScriptElement) return document.currentScript;
  const tags = document.querySelectorAll<HTMLScriptElement>("script[src*='widget.js']");
  return tags.length ? tags[tags.length - 1] : null;
}

function mount(script: HTMLScriptElement | null): void {
  if (document.getElementById(HOST_ID)) return; // the tag was included twice
  const { config, warnings } = readConfig(
    script ?? { src: "", dataset: {} },
    window.location.href,
  );
  for (const warning of warnings) console.warn(`[chat widget] ${warning}; using the default.`);
  const host = document.createElement("div");
  host.id = HOST_ID;
  document.body.append(host);
  const shadow = host.attachShadow({ mode: "open" });
  let storage: Storage;
  try {
    storage = window.localStorage;
  } catch {
    storage = window.sessionStorage;
  }
  const chat = new ChatSession(socketTransport(config.serverUrl), storage, {
    storageKey: config.storageKey,
    user: config.user,
  });
  const view = new WidgetView(shadow, config, chat);
  if (config.open && storage.getItem(config.storageKey) === null) chat.setOpen(true);
  chat.start();
  window.ComplaintChat = {
    open: () => view.setOpen(true),
    close: () => view.setOpen(false),
  };
}

const script = ownScriptTag();
if (document.body) mount(script);
else document.addEventListener("DOMContentLoaded", () => mount(script), { once: true });
