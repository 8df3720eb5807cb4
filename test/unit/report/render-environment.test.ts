import { describe, expect, it } from "vitest";
import { renderEnvironmentLine } from "../../../src/report/render-environment.js";
import { renderStatus } from "../../../src/report/render-status.js";
import type { TaskStatus } from "../../../src/report/task-status.js";

describe("the environment in the status comment", () => {
  it("shows a hit with the cached environment's age and every step", () => {
    expect(
      renderEnvironmentLine({
        cache: "hit",
        cacheAgeMs: 25 * 60_000,
        steps: [
          { name: "start sandbox", ms: 310 },
          { name: "maintenance script", ms: 2_040 },
        ],
      }),
    ).toBe(
      "**Environment**: ♻️ cache hit: resumed a cached environment set up 25m 00s ago · start sandbox 310ms · maintenance script 2.0s",
    );
  });

  it("shows why a miss was one, and when there is nothing to cache", () => {
    expect(renderEnvironmentLine({ cache: "miss", missReason: "the setup script changed", steps: [] })).toBe(
      "**Environment**: 🆕 cache miss (the setup script changed): fresh setup, then cached",
    );
    expect(renderEnvironmentLine({ cache: "off", steps: [] })).toContain("nothing to cache");
  });

  it("reports `/taskbox env` as ready, with timings, cache state, notes and the script's log tail", () => {
    const status: TaskStatus = {
      taskId: "abc123",
      state: "ready",
      requestedBy: "octocat",
      timings: { checkout: 200, setup: 4_000 },
      environment: {
        cache: "miss",
        missReason: "no cached environment yet",
        steps: [{ name: "setup script", ms: 3_900 }],
        logTail: "added 1 package\n",
      },
      notes: ["Automatic setup (no `environment.setup`) detected and ran: npm (package-lock.json): `npm ci`."],
    };
    const body = renderStatus(status);
    expect(body).toContain("**Taskbox** · ✅ Environment ready");
    expect(body).toContain("cache miss (no cached environment yet)");
    expect(body).toContain("| checkout | setup | total |");
    expect(body).toContain("<details><summary>Log tail</summary>");
    expect(body).toContain("added 1 package");
    expect(body).toContain(
      "- Automatic setup (no `environment.setup`) detected and ran: npm (package-lock.json): `npm ci`.",
    );
  });

  it("mentions the cache on a finished task, but not the setup log", () => {
    const body = renderStatus({
      taskId: "abc123",
      state: "answered",
      requestedBy: "octocat",
      summary: "All good.",
      timings: { setup: 300 },
      environment: { cache: "hit", steps: [], logTail: "maintenance output" },
    });
    expect(body).toContain("♻️ cache hit");
    expect(body).not.toContain("maintenance output");
  });
});
