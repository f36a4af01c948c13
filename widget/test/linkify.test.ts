// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { renderText, safeHref, splitLinks, type TextPart } from "../src/linkify";

function links(parts: TextPart[]): { text: string; href: string }[] {
  return parts.flatMap((part) => (part.kind === "link" ? [{ text: part.text, href: part.href }] : []));
}

function joined(parts: TextPart[]): string {
  return parts.map((part) => part.text).join("");
}

describe("safeHref", () => {
  it("accepts http and https addresses, normalised", () => {
    expect(safeHref("https://example.com")).toBe("https://example.com/");
    expect(safeHref("http://example.com/a?b=1#c")).toBe("http://example.com/a?b=1#c");
    expect(safeHref("HTTPS://EXAMPLE.COM/Path")).toBe("https://example.com/Path");
  });

  it("refuses every other scheme and anything that is not a URL", () => {
    for (const address of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      " javascript:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "mailto:someone@example.com",
      "ftp://example.com",
      "www.example.com",
      "/relative/path",
      "https://",
      "",
    ]) {
      expect(safeHref(address), address).toBeNull();
    }
  });
});

describe("splitLinks", () => {
  it("gives plain text as a single text part, and nothing for an empty text", () => {
    expect(splitLinks("no links here")).toEqual([{ kind: "text", text: "no links here" }]);
    expect(splitLinks("")).toEqual([]);
  });

  it("turns http(s) addresses into links, keeping the text around them", () => {
    expect(splitLinks("see https://example.com/a?b=1 now")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: " now" },
    ]);
  });

  it("gives www. addresses https", () => {
    expect(splitLinks("www.example.com/help")).toEqual([
      { kind: "link", text: "www.example.com/help", href: "https://www.example.com/help" },
    ]);
  });

  it("matches regardless of case", () => {
    expect(links(splitLinks("HTTP://EXAMPLE.COM and WWW.Example.com"))).toEqual([
      { text: "HTTP://EXAMPLE.COM", href: "http://example.com/" },
      { text: "WWW.Example.com", href: "https://www.example.com/" },
    ]);
  });

  it("finds several links", () => {
    const parts = splitLinks("a https://a.com and http://b.org/p?q=1&r=2#h, done");
    expect(links(parts)).toEqual([
      { text: "https://a.com", href: "https://a.com/" },
      { text: "http://b.org/p?q=1&r=2#h", href: "http://b.org/p?q=1&r=2#h" },
    ]);
    expect(parts[parts.length - 1]).toEqual({ kind: "text", text: ", done" });
  });

  it("leaves trailing punctuation out of the link but in the text", () => {
    for (const [input, address, rest] of [
      ["Go to https://example.com.", "https://example.com", "."],
      ["(https://example.com/a)", "https://example.com/a", ")"],
      ["https://example.com/x?!", "https://example.com/x", "?!"],
      ["[www.example.com],", "www.example.com", "],"],
    ] as const) {
      const parts = splitLinks(input);
      expect(links(parts).map((link) => link.text), input).toEqual([address]);
      expect(parts[parts.length - 1], input).toEqual({ kind: "text", text: rest });
      expect(joined(parts), input).toBe(input);
    }
  });

  it("never loses or reorders any of the text", () => {
    for (const input of [
      "plain",
      "https://a.com",
      "x https://a.com y www.b.com z",
      "<b>bold</b> https://a.com/<i>",
      "https:// nothing after the scheme",
      "javascript:alert(1) and http://ok.com.",
      "emoji 😀 https://ex.com/ü?x=ä end",
    ]) {
      expect(joined(splitLinks(input)), input).toBe(input);
    }
  });

  it("never makes a javascript:, data: or other non-http link", () => {
    for (const input of [
      "javascript:alert(1)",
      "click javascript:alert(document.cookie)",
      "data:text/html;base64,PHNjcmlwdD4=",
      "vbscript:msgbox(1)",
      "mailto:a@b.c",
      "ftp://example.com/file",
    ]) {
      const parts = splitLinks(input);
      expect(links(parts), input).toEqual([]);
      expect(joined(parts), input).toBe(input);
    }
  });

  it("a javascript: URL wrapped around an http one yields only the http part as link", () => {
    const parts = splitLinks("javascript:https://example.com");
    for (const link of links(parts)) expect(link.href.startsWith("https://")).toBe(true);
  });

  it("stops a link at quotes and angle brackets, so no markup rides along", () => {
    const parts = splitLinks('https://x.com/"><img src=x onerror=alert(1)>');
    expect(links(parts)).toEqual([{ text: "https://x.com/", href: "https://x.com/" }]);
    expect(joined(parts)).toBe('https://x.com/"><img src=x onerror=alert(1)>');
    expect(links(splitLinks("http://x.com/a<b>c"))).toEqual([{ text: "http://x.com/a", href: "http://x.com/a" }]);
    expect(links(splitLinks("'https://x.com/q'"))).toEqual([{ text: "https://x.com/q", href: "https://x.com/q" }]);
  });

  it("does not link an address glued to a preceding word", () => {
    expect(links(splitLinks("xhttps://example.com"))).toEqual([]);
  });

  it("leaves an address that is not a valid URL as text", () => {
    const parts = splitLinks("broken http://[::1 address");
    expect(links(parts)).toEqual([]);
    expect(joined(parts)).toBe("broken http://[::1 address");
  });

  // A closing parenthesis that balances one inside the address stays part of it
  // (Wikipedia-style links such as .../Mercury_(planet)).
  it("keeps a closing parenthesis that balances one inside the address", () => {
    expect(links(splitLinks("see https://en.wikipedia.org/wiki/Mercury_(planet) please"))).toEqual([
      {
        text: "https://en.wikipedia.org/wiki/Mercury_(planet)",
        href: "https://en.wikipedia.org/wiki/Mercury_(planet)",
      },
    ]);
  });
});

describe("renderText", () => {
  function render(text: string): HTMLElement {
    const container = document.createElement("div");
    container.append(renderText(text, document));
    return container;
  }

  it("renders markup as text, never as elements", () => {
    const container = render('<img src=x onerror="alert(1)"><script>alert(2)</script><b>hi</b>');
    expect(container.children).toHaveLength(0);
    expect(container.textContent).toBe('<img src=x onerror="alert(1)"><script>alert(2)</script><b>hi</b>');
  });

  it("makes links that open in a new tab without access to the page", () => {
    const container = render("visit www.example.com/help now");
    const anchors = container.querySelectorAll("a");
    expect(anchors).toHaveLength(1);
    const anchor = anchors[0];
    expect(anchor.getAttribute("href")).toBe("https://www.example.com/help");
    expect(anchor.textContent).toBe("www.example.com/help");
    expect(anchor.getAttribute("target")).toBe("_blank");
    expect(anchor.getAttribute("rel")?.split(/\s+/)).toEqual(expect.arrayContaining(["noopener", "noreferrer"]));
    expect(container.textContent).toBe("visit www.example.com/help now");
  });

  it("keeps markup next to a link as text", () => {
    const container = render('https://x.com/"><script>alert(1)</script>');
    expect(container.querySelectorAll("script")).toHaveLength(0);
    expect(container.querySelectorAll("a")).toHaveLength(1);
    expect(container.querySelector("a")?.getAttribute("href")).toBe("https://x.com/");
    expect(container.textContent).toBe('https://x.com/"><script>alert(1)</script>');
  });

  it("makes no link for javascript: text", () => {
    const container = render("javascript:alert(1)");
    expect(container.querySelectorAll("a")).toHaveLength(0);
    expect(container.textContent).toBe("javascript:alert(1)");
  });

  it("every href it makes is http(s)", () => {
    const container = render(
      "a https://a.com b http://b.com c www.c.com d javascript:alert(1) e data:text/html,x f",
    );
    const hrefs = Array.from(container.querySelectorAll("a"), (anchor) => anchor.getAttribute("href") ?? "");
    expect(hrefs).toEqual(["https://a.com/", "http://b.com/", "https://www.c.com/"]);
  });
});
