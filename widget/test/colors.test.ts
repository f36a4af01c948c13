import { describe, expect, it } from "vitest";
import { contrastRatio, parseColor, readableTextColor, relativeLuminance, type Rgb } from "../src/colors";

function hex([r, g, b]: readonly number[]): string {
  return `#${[r, g, b].map((channel) => channel.toString(16).padStart(2, "0")).join("")}`;
}

function rgb(value: string): Rgb {
  const parsed = parseColor(value);
  expect(parsed, value).not.toBeNull();
  return parsed as Rgb;
}

/** Every grey plus a 16-step grid of the RGB cube. */
function sampleColors(): string[] {
  const colors: string[] = [];
  for (let v = 0; v < 256; v++) colors.push(hex([v, v, v]));
  for (let r = 0; r < 256; r += 17) {
    for (let g = 0; g < 256; g += 17) {
      for (let b = 0; b < 256; b += 17) colors.push(hex([r, g, b]));
    }
  }
  return colors;
}

describe("parseColor", () => {
  it("reads #rrggbb and #rgb, in any case, ignoring surrounding spaces", () => {
    expect(parseColor("#1f5fbf")).toEqual([31, 95, 191]);
    expect(parseColor("#1F5FBF")).toEqual([31, 95, 191]);
    expect(parseColor("#fff")).toEqual([255, 255, 255]);
    expect(parseColor("#a0C")).toEqual([170, 0, 204]);
    expect(parseColor("  #000000\n")).toEqual([0, 0, 0]);
  });

  it("refuses everything else", () => {
    for (const value of [
      "",
      "#",
      "fff",
      "1f5fbf",
      "#ffff",
      "#12345",
      "#1234567",
      "#gggggg",
      "red",
      "rgb(1, 2, 3)",
      "#fff;background:url(x)",
      "#fff} body{",
      "# fff",
    ]) {
      expect(parseColor(value), value).toBeNull();
    }
  });
});

describe("relativeLuminance", () => {
  it("is 0 for black, 1 for white, and the WCAG weights for the primaries", () => {
    expect(relativeLuminance([0, 0, 0])).toBe(0);
    expect(relativeLuminance([255, 255, 255])).toBeCloseTo(1, 10);
    expect(relativeLuminance([255, 0, 0])).toBeCloseTo(0.2126, 10);
    expect(relativeLuminance([0, 255, 0])).toBeCloseTo(0.7152, 10);
    expect(relativeLuminance([0, 0, 255])).toBeCloseTo(0.0722, 10);
  });

  it("uses the sRGB curve (linear part below 0.03928, power part above)", () => {
    // 10/255 = 0.0392 is in the linear segment
    expect(relativeLuminance([10, 10, 10])).toBeCloseTo(10 / 255 / 12.92, 10);
    // mid grey #808080 is about 0.2159
    expect(relativeLuminance([128, 128, 128])).toBeCloseTo(0.2159, 4);
  });

  it("grows with every channel", () => {
    let previous = -1;
    for (let v = 0; v < 256; v++) {
      const luminance = relativeLuminance([v, v, v]);
      expect(luminance).toBeGreaterThan(previous);
      previous = luminance;
    }
  });
});

describe("contrastRatio", () => {
  it("is 21 for black on white and 1 for a colour on itself", () => {
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 6);
    expect(contrastRatio([31, 95, 191], [31, 95, 191])).toBeCloseTo(1, 10);
  });

  it("does not depend on the order of the colours", () => {
    const a = rgb("#1f5fbf");
    const b = rgb("#ffcc00");
    expect(contrastRatio(a, b)).toBeCloseTo(contrastRatio(b, a), 12);
    expect(contrastRatio(a, b)).toBeGreaterThan(1);
  });

  it("matches known WCAG values", () => {
    // #767676 on white is the classic 4.54:1 grey; #777777 just misses AA at 4.48:1
    expect(contrastRatio(rgb("#767676"), rgb("#ffffff"))).toBeCloseTo(4.54, 2);
    expect(contrastRatio(rgb("#777777"), rgb("#ffffff"))).toBeCloseTo(4.48, 2);
    expect(contrastRatio(rgb("#0000ff"), rgb("#ffffff"))).toBeCloseTo(8.59, 2);
  });
});

describe("readableTextColor", () => {
  it("picks white on dark colours and near-black on light ones", () => {
    expect(readableTextColor("#000000")).toBe("#ffffff");
    expect(readableTextColor("#1f5fbf")).toBe("#ffffff");
    expect(readableTextColor("#0b3d91")).toBe("#ffffff");
    expect(readableTextColor("#ffffff")).toBe("#000000");
    expect(readableTextColor("#ffcc00")).toBe("#000000");
    expect(readableTextColor("#9fe870")).toBe("#000000");
  });

  it("reads #rgb colours too", () => {
    expect(readableTextColor("#fff")).toBe("#000000");
    expect(readableTextColor("#000")).toBe("#ffffff");
  });

  it("falls back to white for an unreadable value", () => {
    expect(readableTextColor("not a colour")).toBe("#ffffff");
  });

  it("always picks whichever of the two contrasts more", () => {
    for (const background of sampleColors()) {
      const chosen = readableTextColor(background);
      const other = chosen === "#ffffff" ? "#000000" : "#ffffff";
      expect([ "#ffffff", "#000000" ]).toContain(chosen);
      expect(contrastRatio(rgb(background), rgb(chosen)), background).toBeGreaterThanOrEqual(
        contrastRatio(rgb(background), rgb(other)),
      );
    }
  });

  it("gives AA contrast on the default brand colour", () => {
    expect(contrastRatio(rgb("#1f5fbf"), rgb(readableTextColor("#1f5fbf")))).toBeGreaterThanOrEqual(4.5);
  });

  // Black or white: the better of the two reaches at least 4.58:1 for every colour
  // (with #111111 as the dark option mid greys near #797979 only got 4.35:1).
  it("always gives at least 4.5:1 (WCAG AA)", () => {
    const failing = sampleColors().filter(
      (background) => contrastRatio(rgb(background), rgb(readableTextColor(background))) < 4.5,
    );
    expect(failing).toEqual([]);
  });
});
