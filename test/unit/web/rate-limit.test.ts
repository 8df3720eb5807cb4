import { describe, expect, it } from "vitest";
import { parseRateLimit, renderRateLimited } from "../../../src/web/rate-limit.js";

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

describe("renderRateLimited", () => {
  it("names the person's limit and when to come back", () => {
    const reply = renderRateLimited(
      { allowed: false, scope: "user", limit: { max: 3, windowMs: 3_600_000 }, retryAfterMs: 125_000 },
      "octocat",
    );
    expect(reply).toBe(
      "@octocat, you have started 3 Taskbox tasks in the last 1h 00m, the most one person may start. This request was not started; comment again in 2m 05s or later.",
    );
  });

  it("names the installation's limit", () => {
    const reply = renderRateLimited(
      { allowed: false, scope: "installation", limit: { max: 100, windowMs: 86_400_000 }, retryAfterMs: 0 },
      "octocat",
    );
    expect(reply).toContain("this installation of Taskbox has started 100 tasks in the last 24h 00m");
    expect(reply).toContain("comment again in 1.0s or later");
  });
});
