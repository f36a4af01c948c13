import { describe, expect, it } from "vitest";
import { DEFAULTS, readConfig, type ScriptTagLike } from "../src/config";

const PAGE = "https://shop.example.com/help/contact?x=1";
const SCRIPT_SRC = "https://chat.example.net:8443/static/widget.js?v=3";
const HASH = "0123456789abcdef".repeat(4);

function tag(dataset: Record<string, string | undefined> = {}, src = SCRIPT_SRC): ScriptTagLike {
  return { src, dataset };
}

describe("readConfig defaults", () => {
  it("uses the defaults when no data- attribute is set", () => {
    const { config, warnings } = readConfig(tag(), PAGE);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      serverUrl: "https://chat.example.net:8443",
      title: DEFAULTS.title,
      greeting: DEFAULTS.greeting,
      primaryColor: DEFAULTS.primaryColor,
      position: "right",
      open: false,
      user: null,
      storageKey: "complaint-chat:https://chat.example.net:8443",
    });
  });

  it("the default colour is a valid colour and the default position is right", () => {
    expect(DEFAULTS.primaryColor).toMatch(/^#[0-9a-f]{6}$/i);
    expect(DEFAULTS.position).toBe("right");
    expect(DEFAULTS.title.trim()).not.toBe("");
  });
});

describe("serverUrl", () => {
  it("defaults to the origin the script came from", () => {
    expect(readConfig(tag({}, "http://127.0.0.1:8000/widget.js"), PAGE).config.serverUrl).toBe(
      "http://127.0.0.1:8000",
    );
  });

  it("resolves a relative script src against the page", () => {
    expect(readConfig(tag({}, "/static/widget.js"), PAGE).config.serverUrl).toBe("https://shop.example.com");
  });

  it("uses the page's origin when the script has no src", () => {
    expect(readConfig(tag({}, ""), PAGE).config.serverUrl).toBe("https://shop.example.com");
  });

  it("takes data-server-url, reduced to its origin", () => {
    const { config, warnings } = readConfig(tag({ serverUrl: " https://gw.example.org/some/path " }), PAGE);
    expect(warnings).toEqual([]);
    expect(config.serverUrl).toBe("https://gw.example.org");
    expect(config.storageKey).toBe("complaint-chat:https://gw.example.org");
  });

  it("resolves a relative data-server-url against the page", () => {
    expect(readConfig(tag({ serverUrl: "/gateway" }), PAGE).config.serverUrl).toBe("https://shop.example.com");
  });

  it("rejects a non-http(s) data-server-url with a warning and falls back to the script's origin", () => {
    for (const bad of ["javascript:alert(1)", "ftp://gw.example.org", "data:text/plain,x", "http://[::1"]) {
      const { config, warnings } = readConfig(tag({ serverUrl: bad }), PAGE);
      expect(config.serverUrl, bad).toBe("https://chat.example.net:8443");
      expect(warnings, bad).toHaveLength(1);
      expect(warnings[0]).toContain("data-server-url");
    }
  });

  it("treats a blank data-server-url as not set", () => {
    const { config, warnings } = readConfig(tag({ serverUrl: "   " }), PAGE);
    expect(config.serverUrl).toBe("https://chat.example.net:8443");
    expect(warnings).toEqual([]);
  });

  it("gives different servers different storage keys", () => {
    const a = readConfig(tag({ serverUrl: "https://a.example.com" }), PAGE).config.storageKey;
    const b = readConfig(tag({ serverUrl: "https://b.example.com" }), PAGE).config.storageKey;
    expect(a).not.toBe(b);
  });
});

describe("title and greeting", () => {
  it("takes data-title, trimmed; a blank one gives the default", () => {
    expect(readConfig(tag({ title: "  Acme help  " }), PAGE).config.title).toBe("Acme help");
    expect(readConfig(tag({ title: "   " }), PAGE).config.title).toBe(DEFAULTS.title);
  });

  it("takes data-greeting, trimmed; an empty one means no greeting", () => {
    expect(readConfig(tag({ greeting: "  Hello!  " }), PAGE).config.greeting).toBe("Hello!");
    expect(readConfig(tag({ greeting: "" }), PAGE).config.greeting).toBe("");
  });
});

describe("primaryColor", () => {
  it("takes a valid #rrggbb or #rgb colour", () => {
    expect(readConfig(tag({ primaryColor: "#AA3300" }), PAGE).config.primaryColor).toBe("#AA3300");
    expect(readConfig(tag({ primaryColor: " #a30 " }), PAGE).config.primaryColor).toBe("#a30");
  });

  it("rejects anything else with a warning (nothing can reach the CSS)", () => {
    for (const bad of ["red", "#12345", "", "#fff;} body{display:none", "rgb(0,0,0)", "url(x)"]) {
      const { config, warnings } = readConfig(tag({ primaryColor: bad }), PAGE);
      expect(config.primaryColor, bad).toBe(DEFAULTS.primaryColor);
      expect(warnings, bad).toHaveLength(1);
      expect(warnings[0]).toContain("data-primary-color");
    }
  });
});

describe("position", () => {
  it("takes left or right in any case", () => {
    expect(readConfig(tag({ position: "left" }), PAGE).config.position).toBe("left");
    expect(readConfig(tag({ position: " LEFT " }), PAGE).config.position).toBe("left");
    expect(readConfig(tag({ position: "Right" }), PAGE).config.position).toBe("right");
  });

  it("rejects other values with a warning", () => {
    for (const bad of ["center", "", "top-left"]) {
      const { config, warnings } = readConfig(tag({ position: bad }), PAGE);
      expect(config.position, bad).toBe("right");
      expect(warnings, bad).toHaveLength(1);
      expect(warnings[0]).toContain("data-position");
    }
  });
});

describe("open", () => {
  it("is true only for data-open=\"true\"", () => {
    expect(readConfig(tag({ open: "true" }), PAGE).config.open).toBe(true);
    expect(readConfig(tag({ open: "false" }), PAGE).config.open).toBe(false);
    expect(readConfig(tag({}), PAGE).config.open).toBe(false);
  });
});

describe("user", () => {
  it("takes data-user-id with a 64-character lowercase hex data-user-hash", () => {
    const { config, warnings } = readConfig(tag({ userId: "customer-17", userHash: HASH }), PAGE);
    expect(warnings).toEqual([]);
    expect(config.user).toEqual({ id: "customer-17", hash: HASH });
  });

  it("rejects an id without a hash, a hash without an id, and malformed hashes", () => {
    for (const dataset of [
      { userId: "customer-17" },
      { userHash: HASH },
      { userId: "customer-17", userHash: HASH.toUpperCase() },
      { userId: "customer-17", userHash: HASH.slice(1) },
      { userId: "customer-17", userHash: `${HASH}0` },
      { userId: "customer-17", userHash: `${HASH.slice(1)}g` },
    ]) {
      const { config, warnings } = readConfig(tag(dataset), PAGE);
      expect(config.user, JSON.stringify(dataset)).toBeNull();
      expect(warnings, JSON.stringify(dataset)).toHaveLength(1);
    }
  });

  it("no identity attributes: anonymous, no warning", () => {
    const { config, warnings } = readConfig(tag({ userId: "", userHash: "" }), PAGE);
    expect(config.user).toBeNull();
    expect(warnings).toEqual([]);
  });
});

describe("several problems", () => {
  it("reports each bad attribute and keeps the good ones", () => {
    const { config, warnings } = readConfig(
      tag({ primaryColor: "blue", position: "middle", title: "Acme", userId: "u1" }),
      PAGE,
    );
    expect(warnings).toHaveLength(3);
    expect(config.title).toBe("Acme");
    expect(config.primaryColor).toBe(DEFAULTS.primaryColor);
    expect(config.position).toBe("right");
    expect(config.user).toBeNull();
  });
});
