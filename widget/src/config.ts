/** The widget's options, read from its script tag's `data-` attributes. */

import { parseColor } from "./colors";

export type Position = "left" | "right";

export interface WidgetConfig {
  /** The gateway (socket.io at `<serverUrl>/socket.io`); default: where the script came from. */
  serverUrl: string;
  title: string;
  /** A first line shown to the visitor before they write (not sent to the bot). */
  greeting: string;
  primaryColor: string;
  position: Position;
  /** Open the panel at the first visit. */
  open: boolean;
  /** A verified identity computed by the host's server (see docs/protocol.md). */
  user: { id: string; hash: string } | null;
  /** The localStorage key of this widget's state. */
  storageKey: string;
}

export const DEFAULTS = {
  title: "Customer support",
  greeting: "Hi! Tell us what went wrong and we'll sort it out together.",
  primaryColor: "#1f5fbf",
  position: "right" as Position,
};

export interface ScriptTagLike {
  src: string;
  dataset: Record<string, string | undefined>;
}

/** Problems with the attributes, reported on the console; defaults are used instead. */
export interface ConfigResult {
  config: WidgetConfig;
  warnings: string[];
}

export function readConfig(script: ScriptTagLike, pageUrl: string): ConfigResult {
  const data = script.dataset;
  const warnings: string[] = [];
  const serverUrl = serverUrlOf(data.serverUrl, script.src, pageUrl, warnings);
  let primaryColor = DEFAULTS.primaryColor;
  if (data.primaryColor !== undefined) {
    if (parseColor(data.primaryColor)) primaryColor = data.primaryColor.trim();
    else warnings.push(`data-primary-color="${data.primaryColor}" is not a #rrggbb colour`);
  }
  let position = DEFAULTS.position;
  if (data.position !== undefined) {
    const value = data.position.trim().toLowerCase();
    if (value === "left" || value === "right") position = value;
    else warnings.push(`data-position="${data.position}" must be "left" or "right"`);
  }
  let open = false;
  if (data.open !== undefined) {
    const value = data.open.trim().toLowerCase();
    if (value === "" || value === "true") open = true;
    else if (value !== "false") warnings.push(`data-open="${data.open}" must be "true" or "false"`);
  }
  let user: WidgetConfig["user"] = null;
  if (data.userId || data.userHash) {
    if (data.userId && data.userHash && /^[0-9a-f]{64}$/.test(data.userHash)) {
      user = { id: data.userId, hash: data.userHash };
    } else {
      warnings.push("data-user-id needs data-user-hash (64 lowercase hex characters)");
    }
  }
  return {
    config: {
      serverUrl,
      title: nonEmpty(data.title) ?? DEFAULTS.title,
      greeting: data.greeting !== undefined ? data.greeting.trim() : DEFAULTS.greeting,
      primaryColor,
      position,
      open,
      user,
      storageKey: `complaint-chat:${serverUrl}`,
    },
    warnings,
  };
}

function nonEmpty(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function serverUrlOf(
  configured: string | undefined,
  scriptSrc: string,
  pageUrl: string,
  warnings: string[],
): string {
  if (configured !== undefined && configured.trim()) {
    try {
      const url = new URL(configured.trim(), pageUrl);
      if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
    } catch {
      // reported below
    }
    warnings.push(`data-server-url="${configured}" is not an http(s) address`);
  }
  try {
    return new URL(scriptSrc || pageUrl, pageUrl).origin;
  } catch {
    return new URL(pageUrl).origin;
  }
}
