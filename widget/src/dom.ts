/** Building DOM without HTML strings: attributes set one by one, text as textContent.
 * Shared by the widget and the agents' console (bot/console/src). */

export type Attributes = Record<string, string>;

export function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attributes: Attributes = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
