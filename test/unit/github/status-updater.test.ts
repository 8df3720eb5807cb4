import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRedactor } from "../../../src/report/redact.js";
import { createStatusUpdater } from "../../../src/github/status-updater.js";
import type { TaskStatus } from "../../../src/report/task-status.js";

const INTERVAL = 1000;

function running(turn: number): TaskStatus {
  return { taskId: "t-1", state: "running", requestedBy: "octocat", turn, timings: {} };
}

function done(): TaskStatus {
  return { taskId: "t-1", state: "answered", requestedBy: "octocat", summary: "all good", timings: { agent: 1000 } };
}

/** A publish whose calls stay pending until the test resolves or rejects them, recording overlap. */
function controllablePublish() {
  const calls: Array<{ body: string; resolve: () => void; reject: (err: Error) => void }> = [];
  let active = 0;
  let maxActive = 0;
  const publish = vi.fn((body: string) => {
    active++;
    maxActive = Math.max(maxActive, active);
    return new Promise<void>((resolve, reject) => {
      calls.push({
        body,
        resolve: () => {
          active--;
          resolve();
        },
        reject: (err) => {
          active--;
          reject(err);
        },
      });
    });
  });
  return { publish, calls, maxActive: () => maxActive };
}

function setup(publish: (body: string) => Promise<void>, redact: (text: string) => string = (text) => text) {
  const log = pino({ level: "silent" });
  const warn = vi.spyOn(log, "warn");
  const updater = createStatusUpdater({ publish, redact, minIntervalMs: INTERVAL, log });
  return { updater, warn };
}

describe("createStatusUpdater", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("coalesces rapid updates: the first publishes at once, the latest one at the end of the interval", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater } = setup(publish);
    for (let turn = 1; turn <= 10; turn++) {
      updater.update(running(turn));
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(publish).toHaveBeenCalledTimes(1);
    expect(publish.mock.calls[0]![0]).toContain("Running (turn 1)");
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(publish).toHaveBeenCalledTimes(2);
    expect(publish.mock.calls[1]![0]).toContain("Running (turn 10)");
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(publish).toHaveBeenCalledTimes(2);
  });

  it("keeps at most one publish per interval over a long stream of updates", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater } = setup(publish);
    for (let turn = 1; turn <= 100; turn++) {
      updater.update(running(turn));
      await vi.advanceTimersByTimeAsync(100);
    }
    // 10 s of updates: one leading publish and then one per full interval
    expect(publish.mock.calls.length).toBeLessThanOrEqual(11);
    expect(publish.mock.calls.length).toBeGreaterThanOrEqual(9);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(publish.mock.calls.at(-1)![0]).toContain("Running (turn 100)");
  });

  it("never has two publishes in flight, and publishes the latest status after a slow one", async () => {
    const { publish, calls, maxActive } = controllablePublish();
    const { updater } = setup(publish);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    updater.update(running(2));
    updater.update(running(3));
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toContain("Running (turn 3)");
    calls[1]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(maxActive()).toBe(1);
  });

  it("finish publishes immediately and supersedes a pending update", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater } = setup(publish);
    updater.update(running(1));
    updater.update(running(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(publish).toHaveBeenCalledTimes(1);
    await updater.finish(done());
    expect(publish).toHaveBeenCalledTimes(2);
    expect(publish.mock.calls[1]![0]).toContain("all good");
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(publish).toHaveBeenCalledTimes(2);
    updater.update(running(3));
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(publish).toHaveBeenCalledTimes(2);
  });

  it("finish waits for the publish in flight before publishing the final status", async () => {
    const { publish, calls, maxActive } = controllablePublish();
    const { updater } = setup(publish);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(0);
    let finished = false;
    const finishing = updater.finish(done()).then(() => {
      finished = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toContain("all good");
    expect(finished).toBe(false);
    calls[1]!.resolve();
    await finishing;
    expect(finished).toBe(true);
    expect(maxActive()).toBe(1);
  });

  it("passes every body through redact", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater } = setup(publish, (text) => text.replaceAll("octocat", "***"));
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(0);
    await updater.finish(done());
    expect(publish).toHaveBeenCalledTimes(2);
    for (const [body] of publish.mock.calls) {
      expect(body).toContain("@***");
      expect(body).not.toContain("octocat");
    }
  });

  it("redacts secrets that rendering would split: across quoted lines, after a defused @, at a truncation point", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const secrets = ["line-one\nline-two-secret", "!@mention-like-secret", "tail-secret-value"];
    const { redact } = createRedactor(secrets);
    const { updater } = setup(publish, redact);
    await updater.finish({
      ...done(),
      state: "failed",
      failure: {
        phase: "setup",
        message: `token was line-one\nline-two-secret and !@mention-like-secret`,
        logTail: `tail-secret-value${"x".repeat(14_980)}`,
      },
    });
    const body = publish.mock.calls[0]![0];
    expect(body).toContain("showing the last");
    for (const fragment of ["line-two-secret", "mention-like-secret", "tail-secret", "secret-value"]) {
      expect(body).not.toContain(fragment);
    }
  });

  it("skips a body identical to the one already published", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater } = setup(publish);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(0);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    expect(publish).toHaveBeenCalledTimes(1);
    updater.update(running(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(publish).toHaveBeenCalledTimes(2);
    await updater.finish(running(2));
    expect(publish).toHaveBeenCalledTimes(2);
  });

  it("logs and swallows a publish error in update, and retries the status on the next change", async () => {
    const publish = vi.fn(async (_body: string) => {});
    publish.mockRejectedValueOnce(new Error("502 Bad Gateway"));
    const { updater, warn } = setup(publish);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(publish).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    updater.update(running(1));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(publish).toHaveBeenCalledTimes(2);
    expect(publish.mock.calls[1]![0]).toContain("Running (turn 1)");
  });

  it("propagates a publish error from finish", async () => {
    const publish = vi.fn(async (_body: string) => {});
    publish.mockRejectedValueOnce(new Error("403 Forbidden"));
    const { updater } = setup(publish);
    await expect(updater.finish(done())).rejects.toThrow("403 Forbidden");
  });

  it("keeps update from throwing when a status cannot be rendered", async () => {
    const publish = vi.fn(async (_body: string) => {});
    const { updater, warn } = setup(publish);
    expect(() => updater.update({ ...running(1), state: "succeeded", timings: { agent: Number.NaN } })).not.toThrow();
    expect(publish).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
