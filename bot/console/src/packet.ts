/** The handoff packet, pinned above the transcript: what the bot learned, in the order
 * an agent needs it. Every value is set as text. */

import { element } from "../../../widget/src/dom";
import { ENTITY_LABELS, categoryLabel, frustrationLine } from "./format";

export interface Packet {
  summary?: string;
  reason?: string;
  trigger?: string;
  category?: string | null;
  categories?: string[];
  complaint?: { restated?: string | null; confirmed?: boolean | null };
  entities?: Record<string, string | null>;
  limits_stated?: string[];
  fixes_proposed?: { text: string; answer?: string | null }[];
  fair_ask?: string | null;
  frustration?: { direction?: string; scores?: number[]; latest?: number };
}

function list(doc: Document, className: string, items: string[], empty: string): HTMLElement {
  if (!items.length) return element(doc, "p", { class: `${className} muted` }, empty);
  const ul = element(doc, "ul", { class: className });
  for (const item of items) ul.append(element(doc, "li", {}, item));
  return ul;
}

export function renderPacket(section: HTMLElement, packet: Packet): void {
  const doc = section.ownerDocument;
  section.textContent = "";
  section.append(element(doc, "h3", {}, "Handoff packet"));
  const complaint = packet.complaint ?? {};
  section.append(
    element(doc, "p", { class: "restated" }, complaint.restated || packet.summary || "No restatement"),
  );
  const confirmation =
    complaint.confirmed === true
      ? ["yes", "Confirmed by the customer"]
      : complaint.confirmed === false
        ? ["no", "The customer said this was not right"]
        : ["unknown", "Not confirmed by the customer"];
  section.append(element(doc, "p", { class: `confirmed ${confirmation[0]}` }, confirmation[1]));

  const facts = element(doc, "dl", { class: "entities" });
  const categories = packet.categories?.length ? packet.categories : [packet.category ?? null];
  const rows: [string, string][] = [["Category", categories.map(categoryLabel).join(", ")]];
  for (const [key, label] of Object.entries(ENTITY_LABELS)) {
    const value = packet.entities?.[key];
    if (value) rows.push([label, value]);
  }
  rows.push(["Handed over", packet.reason || packet.trigger || "unknown"]);
  rows.push(["Frustration", frustrationLine(packet.frustration ?? {})]);
  for (const [label, value] of rows) {
    const dd = element(doc, "dd", {}, value);
    if (label === "Frustration") dd.className = `trend ${packet.frustration?.direction ?? ""}`;
    facts.append(element(doc, "dt", {}, label), dd);
  }
  section.append(facts);

  section.append(element(doc, "h4", {}, "Limits the bot stated"));
  section.append(list(doc, "limits", packet.limits_stated ?? [], "None stated."));
  section.append(element(doc, "h4", {}, "What the bot offered"));
  section.append(
    list(
      doc,
      "fixes",
      (packet.fixes_proposed ?? []).map((fix) =>
        fix.answer ? `${fix.text} — customer: “${fix.answer}”` : fix.text,
      ),
      "Nothing offered yet.",
    ),
  );
  section.append(element(doc, "h4", {}, "What the customer would consider fair"));
  section.append(
    element(doc, "p", { class: "fair-ask" }, packet.fair_ask || "Not said yet."),
  );
}
