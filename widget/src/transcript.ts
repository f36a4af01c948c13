/** The conversation as a plain-text file the visitor can keep. */

import type { ChatEntry } from "./chat";

export function speakerOf(entry: ChatEntry, title: string): string {
  switch (entry.kind) {
    case "visitor":
      return "You";
    case "agent":
      return entry.sender?.full_name || entry.sender?.name || "Agent";
    case "bot":
      return `${title} (assistant)`;
    default:
      return "—";
  }
}

/** Whether a handoff line says nothing the conversation has not just said: one with no
 * text (the bot's own message announced the move), or, in conversations recorded
 * before that, a queued line right after the bot's message explaining the queue. The
 * widget and the downloaded transcript both leave these out, so each line shows once. */
export function repeatsTheBot(entry: ChatEntry, previous: ChatEntry | undefined): boolean {
  if (entry.kind !== "handoff") return false;
  if (!entry.text.trim()) return true;
  return entry.handoff?.state === "queued" && !entry.handoff.reason && previous?.kind === "bot";
}

export function transcriptText(entries: readonly ChatEntry[], title: string): string {
  const lines = [`${title} — conversation transcript`, ""];
  for (const [index, entry] of entries.entries()) {
    if (repeatsTheBot(entry, entries[index - 1])) continue;
    const when = entry.at.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
    lines.push(`[${when}] ${speakerOf(entry, title)}: ${entry.text}`);
  }
  return lines.join("\n") + "\n";
}

/** Named by the visitor's local date. */
export function transcriptFileName(now: Date): string {
  const two = (value: number): string => String(value).padStart(2, "0");
  const day = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  return `chat-transcript-${day}.txt`;
}
