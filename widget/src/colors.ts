/** WCAG 2.1 contrast, so any brand colour a site owner picks stays readable (AA). */

export type Rgb = readonly [number, number, number];

const DARK_TEXT = "#000000";
const LIGHT_TEXT = "#ffffff";

/** `#rgb` or `#rrggbb` (case-insensitive); anything else is null. */
export function parseColor(value: string): Rgb | null {
  const match = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim());
  if (!match) return null;
  let hex = match[1];
  if (hex.length === 3) hex = [...hex].map((digit) => digit + digit).join("");
  return [0, 2, 4].map((start) => parseInt(hex.slice(start, start + 2), 16)) as unknown as Rgb;
}

export function relativeLuminance([r, g, b]: Rgb): number {
  const linear = (channel: number): number => {
    const value = channel / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrastRatio(a: Rgb, b: Rgb): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** White or black, whichever contrasts more with the background: at least 4.58:1 for
 * any colour (the worst case is a mid grey), so WCAG AA holds for every brand colour. */
export function readableTextColor(background: string): string {
  const rgb = parseColor(background);
  if (!rgb) return LIGHT_TEXT;
  const onLight = contrastRatio(rgb, parseColor(DARK_TEXT) as Rgb);
  const onDark = contrastRatio(rgb, parseColor(LIGHT_TEXT) as Rgb);
  return onDark >= onLight ? LIGHT_TEXT : DARK_TEXT;
}
