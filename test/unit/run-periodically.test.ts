import pino from "pino";
import { describe, expect, it } from "vitest";
import { runPeriodically } from "../../src/run-periodically.js";

const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("runPeriodically", () => {
  it("runs at once, then again after each run, never two at a time, and goes on after a failed run", async () => {
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const periodic = runPeriodically(
      "test",
      5,
      async () => {
        runs++;
        overlapped ||= running > 0;
        running++;
        await sleep(15);
        running--;
        if (runs === 2) throw new Error("a failed run");
      },
      log,
    );
    expect(runs).toBe(1);
    await sleep(120);
    await periodic.stop();
    const seen = runs;
    await sleep(40);
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(seen);
    expect(overlapped).toBe(false);
  });

  it("stop() waits for a run in progress", async () => {
    let finished = false;
    const periodic = runPeriodically(
      "test",
      1000,
      async () => {
        await sleep(30);
        finished = true;
      },
      log,
    );
    await periodic.stop();
    expect(finished).toBe(true);
  });
});
