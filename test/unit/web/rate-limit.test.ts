import { describe, expect, it } from "vitest";
import { renderRateLimited } from "../../../src/web/rate-limit.js";

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
