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

export function transcriptText(entries: readonly ChatEntry[], title: string): string {
  const lines = [`${title} — conversation transcript`, ""];
  for (const entry of entries) {
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
