import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SHUTDOWN_REASON, isInterruptedByShutdown } from "../../../src/task/task-interrupted.js";
import { drainWorker } from "../../../src/worker/drain-worker.js";

/** A worker whose one running task ends when it finishes or when its signal is aborted. */
function fakeWorker() {
  const task = new AbortController();
  let finishTask!: () => void;
  const ended = new Promise<void>((resolve) => {
    finishTask = resolve;
    task.signal.addEventListener("abort", () => resolve());
  });
  return {
    signal: task.signal,
    finishTask: () => finishTask(),
    close: () => ended,
    cancelAllJobs: (reason?: string) => task.abort(reason),
  };
}

const log = pino({ level: "silent" });

describe("drainWorker", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets a task that ends within the timeout finish untouched", async () => {
    const worker = fakeWorker();
    const drained = drainWorker(worker, 60_000, log);
    worker.finishTask();
    await drained;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(worker.signal.aborted).toBe(false);
  });

  it("interrupts the running tasks once the timeout has run out", async () => {
    const worker = fakeWorker();
    const drained = drainWorker(worker, 60_000, log);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(worker.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await drained;
    expect(worker.signal.reason).toBe(SHUTDOWN_REASON);
    expect(isInterruptedByShutdown(AbortSignal.any([worker.signal]))).toBe(true);
  });
});
