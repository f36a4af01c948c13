/** Words and numbers the console shows: pure functions, unit-tested. */

export function waitingFor(seconds: number): string {
  if (seconds < 60) return "waiting < 1 min";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `waiting ${minutes} min`;
  return `waiting ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Seconds a queue entry has waited now, from its queue time (the list ticks). */
export function secondsSince(isoTime: string, now: number): number {
  const at = Date.parse(isoTime);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.round((now - at) / 1000));
}

export function clock(isoTime: string): string {
  const at = new Date(isoTime);
  if (Number.isNaN(at.getTime())) return "";
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

export function categoryLabel(category: string | null | undefined): string {
  return category ? category.replace(/_/g, " ") : "uncategorised";
}

export const ENTITY_LABELS: Record<string, string> = {
  order_id: "Order",
  amount: "Amount",
  product: "Product",
  email: "Email",
  waited: "Waited",
};

/** "rising (0.2 → 0.7)" from the packet's frustration block. */
export function frustrationLine(frustration: {
  direction?: string;
  scores?: number[];
  latest?: number;
}): string {
  const scores = frustration.scores ?? [];
  const trail = scores.length ? ` (${scores.map((score) => score.toFixed(1)).join(" → ")})` : "";
  return `${frustration.direction ?? "unknown"}${trail}`;
}

/** Who said an entry, as the transcript labels it. */
export function speaker(kind: string, senderName: string | undefined): string {
  switch (kind) {
    case "visitor":
      return "Customer";
    case "bot":
      return "Bot";
    case "agent":
      return senderName ?? "Agent";
    default:
      return "";
  }
}

export function customerLabel(customerKey: string): string {
  if (customerKey.startsWith("user:")) return `Customer ${customerKey.slice(5)}`;
  return "Website visitor";
}

/** A queued chat whose source (one address or customer) asked for people more often
 * than its cap allows: said as a flood, so agents do not take it for that many
 * customers; null when there was none. */
export function floodLabel(heldBack: number | undefined): string | null {
  if (!heldBack || heldBack < 1) return null;
  return `flood: ${heldBack} more request${heldBack === 1 ? "" : "s"} from the same source held back`;
}

/** The colleague a queued chat is reserved for, when that is not `me` and the
 * reservation is still running at `now` (ms); null when anyone may claim it. */
export function reservedFor(
  entry: { routed_to: string | null; reserved_until?: string | null },
  me: string | null,
  now: number,
): string | null {
  if (!entry.routed_to || !entry.reserved_until || entry.routed_to === me) return null;
  const until = Date.parse(entry.reserved_until);
  return Number.isNaN(until) || until <= now ? null : entry.routed_to;
}
