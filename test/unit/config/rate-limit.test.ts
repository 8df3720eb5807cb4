import { describe, expect, it } from "vitest";
import { parseRateLimit } from "../../../src/config/rate-limit.js";

describe("parseRateLimit", () => {
  it("reads a count per window", () => {
    expect(parseRateLimit("20/1h")).toEqual({ max: 20, windowMs: 3_600_000 });
    expect(parseRateLimit(" 5 / 10m ")).toEqual({ max: 5, windowMs: 600_000 });
    expect(parseRateLimit("3/90")).toEqual({ max: 3, windowMs: 90_000 });
  });

  it("reads off and 0 as no limit", () => {
    expect(parseRateLimit("off")).toBeUndefined();
    expect(parseRateLimit("OFF")).toBeUndefined();
    expect(parseRateLimit("0")).toBeUndefined();
  });

  it.each(["20", "x/1h", "0/1h", "5/0s", "5/soon", "-1/1h"])("refuses %j with the expected form", (text) => {
    expect(() => parseRateLimit(text)).toThrow(/expected "<count>\/<window>" such as "20\/1h"/);
  });
});
