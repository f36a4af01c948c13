/** The widget's CSS, scoped to its shadow root (the page's CSS cannot reach in, and
 * this cannot leak out). Colours meet WCAG AA: the brand colour is paired with white or
 * near-black text, whichever contrasts more. */

import { readableTextColor } from "./colors";
import type { WidgetConfig } from "./config";

export function widgetCss(config: WidgetConfig): string {
  const brand = config.primaryColor;
  const onBrand = readableTextColor(brand);
  const side = config.position;
  return `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
.root {
  --brand: ${brand};
  --on-brand: ${onBrand};
  --text: #1a1a1a;
  --muted: #4a4a4a;
  --bubble: #eef1f4;
  --link: #0b57d0;
  --focus: #0b57d0;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--text);
}
button, textarea, input { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}

.launcher {
  position: fixed; ${side}: 20px; bottom: 20px; z-index: 2147483000;
  width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
  background: var(--brand); color: var(--on-brand);
  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.28);
  display: flex; align-items: center; justify-content: center;
}
.launcher svg { width: 28px; height: 28px; }
.badge {
  position: absolute; top: -4px; ${side === "right" ? "left" : "right"}: -4px;
  min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #b3261e; color: #ffffff; font-size: 12px; font-weight: 700;
  line-height: 22px; text-align: center; border: 2px solid #ffffff;
}

.panel {
  position: fixed; ${side}: 20px; bottom: 92px; z-index: 2147483000;
  width: 380px; height: min(620px, calc(100vh - 112px));
  display: flex; flex-direction: column; overflow: hidden;
  background: #ffffff; border-radius: 14px;
  box-shadow: 0 10px 40px rgba(0, 0, 0, 0.25);
}
.header {
  background: var(--brand); color: var(--on-brand);
  padding: 12px 12px 12px 16px; display: flex; align-items: center; gap: 10px;
}
.header-text { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 17px; font-weight: 700; }
.subtitle { margin: 2px 0 0; font-size: 13px; overflow-wrap: anywhere; }
.agent-avatar { width: 36px; height: 36px; border-radius: 50%; background: #ffffff; }
.header-actions { display: flex; gap: 4px; }
.icon-button {
  background: transparent; border: 0; color: var(--on-brand); cursor: pointer;
  width: 36px; height: 36px; border-radius: 8px;
  display: inline-flex; align-items: center; justify-content: center;
}
.icon-button:hover { background: rgba(127, 127, 127, 0.25); }
.icon-button:focus-visible { outline-color: var(--on-brand); outline-offset: -3px; }
.icon-button svg { width: 20px; height: 20px; }
.text-button {
  background: transparent; color: var(--on-brand); border: 1.5px solid currentColor;
  border-radius: 8px; padding: 4px 10px; cursor: pointer; font-size: 13px; font-weight: 600;
  align-self: center;
}
.text-button:disabled { opacity: 0.6; cursor: default; }
.text-button:focus-visible { outline-color: var(--on-brand); }

.connection {
  background: #fff4d6; color: #5c4300; font-size: 13px; padding: 6px 16px;
  border-bottom: 1px solid #f0dca0;
}
.notice {
  margin: 0; background: #fdecea; color: #8c1d18; font-size: 13px; padding: 6px 16px;
}

.log { flex: 1; overflow-y: auto; padding: 14px 12px; background: #ffffff; }
.messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; }
.entry { display: flex; gap: 8px; align-items: flex-end; max-width: 100%; }
.entry[data-kind="visitor"] { justify-content: flex-end; }
.entry-body { max-width: 80%; display: flex; flex-direction: column; }
.entry[data-kind="visitor"] .entry-body { align-items: flex-end; }
.bubble {
  padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere;
  background: var(--bubble); color: var(--text);
}
.bubble a { color: var(--link); text-decoration: underline; }
.entry[data-kind="visitor"] .bubble {
  background: var(--brand); color: var(--on-brand); border-bottom-right-radius: 4px;
}
.entry[data-kind="visitor"] .bubble a { color: var(--on-brand); }
.entry[data-kind="bot"] .bubble, .entry[data-kind="agent"] .bubble,
.entry[data-kind="greeting"] .bubble { border-bottom-left-radius: 4px; }
.entry[data-kind="system"] .bubble { background: #fff4d6; color: #3d2e00; }
.entry[data-kind="handoff"] { justify-content: center; }
.handoff-line {
  margin: 6px 0; font-size: 13px; color: var(--muted); text-align: center; max-width: 90%;
}
.entry[data-pending="true"] .bubble { opacity: 0.75; }
.meta { font-size: 12px; color: var(--muted); margin-top: 2px; }
.sender { font-size: 12px; color: var(--muted); margin-bottom: 2px; font-weight: 600; }
.avatar { width: 28px; height: 28px; border-radius: 50%; flex: none; }
.failed { font-size: 12px; color: #8c1d18; margin-top: 2px; display: flex; gap: 8px; }
.link-button {
  background: none; border: 0; padding: 0; color: var(--link); text-decoration: underline;
  cursor: pointer; font-size: 12px;
}

.typing { padding: 0 16px 6px; font-size: 13px; color: var(--muted); min-height: 0; }
.dots::after { content: "…"; }

.quick-replies { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 8px; }
.quick-reply {
  border: 1.5px solid var(--link); color: var(--link); background: #ffffff;
  border-radius: 16px; padding: 5px 12px; cursor: pointer; font-size: 14px;
}
.quick-reply:hover { background: #e8f0fe; }

.ended { border-top: 1px solid #dde1e6; padding: 10px 16px; }
.rating fieldset { border: 0; margin: 0; padding: 0; }
.rating legend { font-weight: 600; padding: 0; margin-bottom: 6px; }
.scores { display: flex; gap: 6px; }
.scores label {
  display: inline-flex; align-items: center; justify-content: center;
  width: 38px; height: 38px; border: 1.5px solid #6b7280; border-radius: 8px; cursor: pointer;
}
.scores input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.scores input:checked + span { font-weight: 700; }
.scores label:has(input:checked) { background: var(--brand); color: var(--on-brand); border-color: var(--brand); }
.scores label:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: 2px; }
.rating-comment-label { display: block; font-size: 13px; margin: 8px 0 4px; }
.rating-comment {
  width: 100%; min-height: 48px; resize: vertical; border: 1px solid #6b7280;
  border-radius: 8px; padding: 6px 8px;
}
.rating-actions, .ended-actions { display: flex; gap: 8px; margin-top: 8px; flex-wrap: wrap; }
.primary-button {
  background: var(--brand); color: var(--on-brand); border: 0; border-radius: 8px;
  padding: 7px 14px; cursor: pointer; font-weight: 600;
}
.secondary-button {
  background: #ffffff; color: var(--text); border: 1.5px solid #6b7280; border-radius: 8px;
  padding: 6px 12px; cursor: pointer;
}
.rating-thanks { margin: 6px 0 0; }

.composer {
  display: flex; gap: 8px; align-items: flex-end; padding: 10px 12px;
  border-top: 1px solid #dde1e6; background: #ffffff;
}
.input {
  flex: 1; resize: none; border: 1px solid #6b7280; border-radius: 10px; padding: 8px 10px;
  max-height: 120px; min-height: 40px; line-height: 1.35;
}
.send {
  background: var(--brand); color: var(--on-brand); border: 0; border-radius: 10px;
  height: 40px; padding: 0 14px; cursor: pointer; font-weight: 600;
}
.footer-note { font-size: 11px; color: var(--muted); text-align: center; padding: 0 0 6px; }

@media (max-width: 480px) {
  .panel {
    inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0;
    bottom: 0; ${side}: 0;
  }
  .root[data-open="true"] .launcher { display: none; }
  .input { font-size: 16px; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel { transition: opacity 0.15s ease; }
}
`;
}
