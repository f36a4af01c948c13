import { describe, expect, it } from "vitest";
import type { ChatEntry } from "../src/chat";
import { speakerOf, transcriptFileName, transcriptText } from "../src/transcript";

const TITLE = "Acme support";

function entry(partial: Partial<ChatEntry> & Pick<ChatEntry, "kind" | "text">): ChatEntry {
  return { seq: 1, at: "2026-11-23T15:02:11.204Z", ...partial };
}

describe("speakerOf", () => {
  it("names the visitor 'You' and the bot after the widget's title", () => {
    expect(speakerOf(entry({ kind: "visitor", text: "hi" }), TITLE)).toBe("You");
    expect(speakerOf(entry({ kind: "bot", text: "hi", sender: { kind: "bot" } }), TITLE)).toBe(
      "Acme support (assistant)",
    );
  });

  it("names an agent by full name, else first name, else 'Agent'", () => {
    expect(
      speakerOf(
        entry({ kind: "agent", text: "x", sender: { kind: "agent", name: "Maria", full_name: "Maria Rossi" } }),
        TITLE,
      ),
    ).toBe("Maria Rossi");
    expect(speakerOf(entry({ kind: "agent", text: "x", sender: { kind: "agent", name: "Maria" } }), TITLE)).toBe(
      "Maria",
    );
    expect(
      speakerOf(entry({ kind: "agent", text: "x", sender: { kind: "agent", name: "Maria", full_name: "" } }), TITLE),
    ).toBe("Maria");
    expect(speakerOf(entry({ kind: "agent", text: "x", sender: { kind: "agent" } }), TITLE)).toBe("Agent");
    expect(speakerOf(entry({ kind: "agent", text: "x" }), TITLE)).toBe("Agent");
  });

  it("system notices and handoff lines are not attributed to a person or the bot", () => {
    for (const kind of ["system", "handoff"] as const) {
      const speaker = speakerOf(entry({ kind, text: "x" }), TITLE);
      expect(speaker).not.toBe("You");
      expect(speaker).not.toContain(TITLE);
      expect(speaker).not.toBe("Agent");
    }
  });
});

describe("transcriptText", () => {
  it("writes a heading, then one line per entry with UTC time and speaker", () => {
    const text = transcriptText(
      [
        entry({ seq: 1, at: "2026-11-23T15:02:11.204Z", kind: "visitor", text: "My parcel is late" }),
        entry({ seq: 2, at: "2026-11-23T15:02:12.900Z", kind: "bot", text: "Sorry to hear that.", sender: { kind: "bot" } }),
        entry({
          seq: 3,
          at: "2026-11-23T15:05:00.000Z",
          kind: "handoff",
          text: "Maria from our billing team has joined the chat",
        }),
        entry({
          seq: 4,
          at: "2026-11-23T15:05:30Z",
          kind: "agent",
          text: "Hi, I'm Maria",
          sender: { kind: "agent", name: "Maria", full_name: "Maria Rossi" },
        }),
      ],
      TITLE,
    );
    const lines = text.split("\n");
    expect(lines[0]).toContain(TITLE);
    expect(lines[1]).toBe("");
    expect(lines[2]).toBe("[2026-11-23 15:02:11 UTC] You: My parcel is late");
    expect(lines[3]).toBe("[2026-11-23 15:02:12 UTC] Acme support (assistant): Sorry to hear that.");
    expect(lines[4]).toMatch(/^\[2026-11-23 15:05:00 UTC\] .+: Maria from our billing team has joined the chat$/);
    expect(lines[5]).toBe("[2026-11-23 15:05:30 UTC] Maria Rossi: Hi, I'm Maria");
    expect(lines).toHaveLength(7);
    expect(text.endsWith("\n")).toBe(true);
  });

  it("writes each line once: a handoff line without text, or repeating the bot's queue message, is left out", () => {
    const queueMessage = "Everyone on the team is busy with other customers right now. You're next in line.";
    const text = transcriptText(
      [
        entry({ seq: 1, kind: "visitor", text: "I'll wait" }),
        entry({ seq: 2, kind: "bot", text: queueMessage, sender: { kind: "bot" } }),
        entry({ seq: 3, kind: "handoff", text: "", handoff: { seq: 3, at: "2026-11-23T15:05:00Z", state: "queued" } }),
      ],
      TITLE,
    );
    expect(text.split(queueMessage)).toHaveLength(2);
    expect(text).toContain("You: I'll wait");
    expect(text.split("\n").filter((line) => line.startsWith("["))).toHaveLength(2);

    const recordedBefore = transcriptText(
      [
        entry({ seq: 1, kind: "bot", text: queueMessage, sender: { kind: "bot" } }),
        entry({ seq: 2, kind: "handoff", text: "You're next in line.", handoff: { seq: 2, at: "2026-11-23T15:05:00Z", state: "queued" } }),
      ],
      TITLE,
    );
    expect(recordedBefore.match(/You're next in line\./g)).toHaveLength(1);
  });

  it("keeps the entries' order as given", () => {
    const text = transcriptText(
      [entry({ seq: 1, kind: "visitor", text: "first" }), entry({ seq: 2, kind: "visitor", text: "second" })],
      TITLE,
    );
    expect(text.indexOf("first")).toBeLessThan(text.indexOf("second"));
  });

  it("keeps message text as written (markup is not interpreted or dropped)", () => {
    const text = transcriptText([entry({ kind: "visitor", text: "<b>x</b> & https://a.com" })], TITLE);
    expect(text).toContain("You: <b>x</b> & https://a.com");
  });

  it("an empty conversation is just the heading", () => {
    const text = transcriptText([], TITLE);
    expect(text.split("\n").filter((line) => line.trim())).toHaveLength(1);
    expect(text).toContain(TITLE);
  });
});

describe("transcriptFileName", () => {
  it("is a dated .txt name", () => {
    expect(transcriptFileName(new Date("2026-11-23T15:02:11.204Z"))).toBe("chat-transcript-2026-11-23.txt");
  });

  it("contains nothing a file system would object to", () => {
    expect(transcriptFileName(new Date("2027-01-05T00:00:00Z"))).toMatch(/^[A-Za-z0-9._-]+$/);
  });
});
