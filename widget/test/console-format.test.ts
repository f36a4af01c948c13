// The agents' console's wording (bot/console/src/format.ts) and packet rendering.
// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import {
  categoryLabel,
  customerLabel,
  floodLabel,
  frustrationLine,
  reservedFor,
  secondsSince,
  speaker,
  waitingFor,
} from "../../bot/console/src/format";
import { renderPacket } from "../../bot/console/src/packet";

describe("console wording", () => {
  it("shows a flood of requests from one source as such", () => {
    expect(floodLabel(0)).toBeNull();
    expect(floodLabel(undefined)).toBeNull();
    expect(floodLabel(1)).toBe("flood: 1 more request from the same source held back");
    expect(floodLabel(7)).toBe("flood: 7 more requests from the same source held back");
  });

  it("says how long someone has waited", () => {
    expect(waitingFor(5)).toBe("waiting < 1 min");
    expect(waitingFor(61)).toBe("waiting 1 min");
    expect(waitingFor(3600 + 5 * 60)).toBe("waiting 1 h 5 min");
  });

  it("counts waiting seconds from the queue time, never negative", () => {
    const now = Date.parse("2026-11-23T10:05:00.000Z");
    expect(secondsSince("2026-11-23T10:00:00.000Z", now)).toBe(300);
    expect(secondsSince("2026-11-23T10:06:00.000Z", now)).toBe(0);
    expect(secondsSince("not a time", now)).toBe(0);
  });

  it("labels categories, speakers and customers", () => {
    expect(categoryLabel("late_delivery")).toBe("late delivery");
    expect(categoryLabel(null)).toBe("uncategorised");
    expect(speaker("visitor", undefined)).toBe("Customer");
    expect(speaker("agent", "Maria Lopez")).toBe("Maria Lopez");
    expect(speaker("system", undefined)).toBe("");
    expect(customerLabel("user:u-42")).toBe("Customer u-42");
    expect(customerLabel("visitor:abc")).toBe("Website visitor");
  });

  it("shows the frustration trend with its scores", () => {
    expect(frustrationLine({ direction: "rising", scores: [0.1, 0.46, 0.8] })).toBe(
      "rising (0.1 → 0.5 → 0.8)",
    );
    expect(frustrationLine({})).toBe("unknown");
  });
});

describe("renderPacket", () => {
  it("puts every field in as text, confirmed or not, entities labelled", () => {
    const section = document.createElement("section");
    renderPacket(section, {
      complaint: { restated: "<b>charged twice</b> for #48213", confirmed: false },
      category: "billing",
      entities: { order_id: "48213", amount: "$40", product: null },
      limits_stated: ["I can refund up to $50."],
      fixes_proposed: [{ text: "Refund the extra charge.", answer: "not enough" }],
      fair_ask: "$80 back",
      reason: "ask beyond the bot's authority",
      frustration: { direction: "rising", scores: [0.2, 0.7] },
    });
    expect(section.querySelector("b")).toBeNull();
    expect(section.querySelector(".restated")?.textContent).toBe("<b>charged twice</b> for #48213");
    expect(section.querySelector(".confirmed")?.className).toContain("no");
    const facts = [...section.querySelectorAll("dt")].map((dt) => dt.textContent);
    expect(facts).toEqual(["Category", "Order", "Amount", "Handed over", "Frustration"]);
    expect(section.querySelector(".fixes li")?.textContent).toBe(
      "Refund the extra charge. — customer: “not enough”",
    );
    expect(section.querySelector(".fair-ask")?.textContent).toBe("$80 back");
    expect(section.querySelector(".trend")?.className).toContain("rising");
  });

  it("says plainly what is missing", () => {
    const section = document.createElement("section");
    renderPacket(section, { summary: "Late parcel" });
    expect(section.querySelector(".restated")?.textContent).toBe("Late parcel");
    expect(section.querySelector(".confirmed")?.textContent).toBe("Not confirmed by the customer");
    expect(section.querySelector(".fair-ask")?.textContent).toBe("Not said yet.");
  });
});

describe("reservedFor", () => {
  const now = Date.parse("2026-03-09T14:00:00Z");
  const reserved = { routed_to: "tom", reserved_until: "2026-03-09T14:01:00Z" };

  it("names the colleague a running reservation is for, to everyone else", () => {
    expect(reservedFor(reserved, "maria", now)).toBe("tom");
    expect(reservedFor(reserved, null, now)).toBe("tom");
  });

  it("is null for the reserved colleague, after the window, and without a reservation", () => {
    expect(reservedFor(reserved, "tom", now)).toBeNull();
    expect(reservedFor(reserved, "maria", Date.parse("2026-03-09T14:01:00Z"))).toBeNull();
    expect(reservedFor({ routed_to: "tom", reserved_until: null }, "maria", now)).toBeNull();
    expect(reservedFor({ routed_to: null }, "maria", now)).toBeNull();
  });
});
