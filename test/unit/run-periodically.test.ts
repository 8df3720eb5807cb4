import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runPeriodically } from "../../src/run-periodically.js";

const log = pino({ level: "silent" });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A run that lasts until its test ends it, recording how many were in progress at once. */
function controlledWork() {
  const ends: Array<() => void> = [];
  let running = 0;
  let overlapped = false;
  return {
    ends,
    get overlapped() {
      return overlapped;
    },
    work: (fail: (run: number) => boolean) => () => {
      overlapped ||= running > 0;
      running++;
      const run = ends.length + 1;
      return new Promise<void>((resolve, reject) => {
        ends.push(() => {
          running--;
          if (fail(run)) reject(new Error("a failed run"));
          else resolve();
        });
      });
    },
  };
}

describe("runPeriodically", () => {
  it("runs at once, then again an interval after each run ends, never two at a time, and goes on after a failure", async () => {
    const runs = controlledWork();
    const periodic = runPeriodically(
      "test",
      5,
      runs.work((run) => run === 2),
      log,
    );
    expect(runs.ends).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(50); // the first run is still going: no second one starts
    expect(runs.ends).toHaveLength(1);
    runs.ends[0]!();
    await vi.advanceTimersByTimeAsync(4);
    expect(runs.ends).toHaveLength(1); // not before the interval has passed since the run ended
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.ends).toHaveLength(2);

    runs.ends[1]!(); // fails
    await vi.advanceTimersByTimeAsync(5);
    expect(runs.ends).toHaveLength(3);
    expect(runs.overlapped).toBe(false);

    runs.ends[2]!();
    await periodic.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.ends).toHaveLength(3);
  });

  it("stop() waits for a run in progress", async () => {
    const runs = controlledWork();
    const periodic = runPeriodically(
      "test",
      1000,
      runs.work(() => false),
      log,
    );
    let stopped = false;
    const stopping = periodic.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1000);
    expect(stopped).toBe(false);
    runs.ends[0]!();
    await stopping;
    expect(stopped).toBe(true);
  });
});
