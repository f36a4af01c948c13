/** Message text to DOM nodes: text stays text; web addresses become links that open in
 * a new tab and can never run script (only http/https, built with DOM APIs, no HTML). */

export type TextPart = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const TRAILING_PUNCTUATION = new Set([...".,;:!?)]}'\""]);

/** The address without punctuation that ends the sentence around it; a closing
 * parenthesis stays when it closes one inside the address (Mercury_(planet)). */
function trimTrailing(raw: string): string {
  let end = raw.length;
  while (end > 0 && TRAILING_PUNCTUATION.has(raw[end - 1])) {
    const candidate = raw.slice(0, end);
    if (raw[end - 1] === ")" && count(candidate, "(") >= count(candidate, ")")) break;
    end--;
  }
  return raw.slice(0, end);
}

function count(text: string, character: string): number {
  return text.split(character).length - 1;
}

/** Splits text into plain parts and http(s) links (`www.` gets https). */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const raw = match[0];
    const address = trimTrailing(raw);
    const href = safeHref(/^www\./i.test(address) ? `https://${address}` : address);
    if (!href) continue;
    if (start > last) parts.push({ kind: "text", text: text.slice(last, start) });
    parts.push({ kind: "link", text: address, href });
    last = start + address.length;
  }
  if (last < text.length) parts.push({ kind: "text", text: text.slice(last) });
  return parts;
}

/** The address if it is a well-formed http(s) URL, else null. */
export function safeHref(address: string): string | null {
  try {
    const url = new URL(address);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Text nodes and `<a>` elements for a message; never parses HTML. */
export function renderText(text: string, doc: Document): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  for (const part of splitLinks(text)) {
    if (part.kind === "text") {
      fragment.append(doc.createTextNode(part.text));
      continue;
    }
    const link = doc.createElement("a");
    link.href = part.href;
    link.textContent = part.text;
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    fragment.append(link);
  }
  return fragment;
}
