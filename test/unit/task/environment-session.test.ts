import { describe, expect, it } from "vitest";
import type { EnvironmentReport } from "../../../src/report/task-status.js";
import { stepTimer } from "../../../src/task/environment-session.js";

describe("stepTimer", () => {
  it("records each step with its duration, also when it fails", async () => {
    const report: EnvironmentReport = { cache: "off", steps: [] };
    const ticks = [10, 12.4, 20, 27.6];
    const step = stepTimer(report, () => ticks.shift() ?? 0);
    expect(await step("cache lookup", async () => "found")).toBe("found");
    await expect(step("setup script", () => Promise.reject(new Error("exit 1")))).rejects.toThrow("exit 1");
    expect(report.steps).toStrictEqual([
      { name: "cache lookup", ms: 2 },
      { name: "setup script", ms: 8 },
    ]);
  });
});
