import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createTaskBoard, type TaskBoard } from "../../../src/queue/task-board.js";
import type { TaskRecord } from "../../../src/queue/task-record.js";
import { createMemoryTaskBoard } from "../../support/memory-task-board.js";

function record(taskId: string, number: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId,
    repository: "octo/hello",
    thread: { kind: "issue", number },
    trigger: "comment",
    request: `request of ${taskId}`,
    requestedBy: "maintainer",
    state: "queued",
    createdAt: Date.now(),
    statusCommentId: 1,
    ...overrides,
  };
}

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(() => redis.disconnect());

// The web handlers' unit tests use the in-memory board; both must keep the same contract.
describe.each([
  ["Redis", () => createTaskBoard(redis, `test-${randomUUID().slice(0, 8)}`)],
  ["memory", () => createMemoryTaskBoard()],
])("the %s task board", (_name, create: () => TaskBoard) => {
  const thread = { repository: "octo/hello", number: 7 };

  it("lines up the tasks of a thread: only the head may start, in order", async () => {
    const board = create();
    expect(await board.add(record("a", 7))).toEqual([]);
    expect(await board.add(record("b", 7))).toEqual(["a"]);
    expect(await board.add(record("c", 7))).toEqual(["a", "b"]);
    expect(await board.line(thread)).toEqual(["a", "b", "c"]);

    expect(await board.tryStart(thread, "b", 5)).toEqual({ ok: false, reason: "thread", blockedBy: "a" });
    expect(await board.tryStart(thread, "a", 5)).toEqual({ ok: true });
    expect(await board.tryStart(thread, "a", 5)).toEqual({ ok: true }); // claiming again is harmless
    expect(await board.leave(thread, "a")).toEqual({ nextInThread: "b", nextInRepository: undefined });
    expect(await board.couldStart(thread, "c", 5)).toBe(false);
    expect(await board.tryStart(thread, "b", 5)).toEqual({ ok: true });
  });

  it("caps the running tasks of a repository across threads, and hands a freed slot to the longest waiting task", async () => {
    const board = create();
    for (const [id, number] of [
      ["x", 1],
      ["y", 2],
      ["z", 3],
      ["w", 4],
    ] as const)
      await board.add(record(id, number));
    const at = (number: number) => ({ repository: "octo/hello", number });
    expect(await board.tryStart(at(1), "x", 2)).toEqual({ ok: true });
    expect(await board.tryStart(at(2), "y", 2)).toEqual({ ok: true });
    const full = await board.tryStart(at(3), "z", 2);
    expect(full).toMatchObject({ ok: false, reason: "repository" });
    expect(full.ok === false && full.reason === "repository" && [...full.running].sort()).toEqual(["x", "y"]);
    await board.waitForSlot(at(4), "w", 100);
    await board.waitForSlot(at(3), "z", 200);
    expect(await board.couldStart(at(3), "z", 2)).toBe(false);

    expect(await board.leave(at(1), "x")).toEqual({ nextInThread: undefined, nextInRepository: "w" });
    expect(await board.tryStart(at(4), "w", 2)).toEqual({ ok: true });
    await board.releaseSlot("octo/hello", "y"); // as for a task whose worker died
    expect(await board.tryStart(at(3), "z", 2)).toEqual({ ok: true });
    // Another repository is not affected by this one's cap.
    await board.add(record("o", 1, { repository: "octo/other" }));
    expect(await board.tryStart({ repository: "octo/other", number: 1 }, "o", 2)).toEqual({ ok: true });
  });

  it("keeps records, the thread's history newest first, and the tasks of a pull request", async () => {
    const board = create();
    await board.add(record("old", 9, { createdAt: 1000 }));
    await board.add(record("new", 9, { createdAt: 2000 }));
    const updated = await board.update("old", {
      state: "succeeded",
      pullRequest: { number: 12, url: "u" },
      summary: "did it",
    });
    expect(updated).toMatchObject({ taskId: "old", state: "succeeded", request: "request of old" });
    expect(await board.get("old")).toEqual(updated);
    expect(await board.update("missing", { state: "failed" })).toBeUndefined();
    expect((await board.history({ repository: "octo/hello", number: 9 })).map((r) => r.taskId)).toEqual(["new", "old"]);
    expect((await board.history({ repository: "octo/hello", number: 9 }, 1)).map((r) => r.taskId)).toEqual(["new"]);

    await board.addToPull({ repository: "octo/hello", number: 12 }, updated!);
    expect((await board.pullHistory({ repository: "octo/hello", number: 12 })).map((r) => r.summary)).toEqual([
      "did it",
    ]);
  });

  it("remembers who cancelled a task", async () => {
    const board = create();
    expect(await board.cancelRequestOf("t1")).toBeUndefined();
    await board.requestCancel({ taskId: "t1", by: "maintainer" });
    expect(await board.cancelRequestOf("t1")).toBe("maintainer");
  });
});

describe("the Redis task board", () => {
  it("keeps a record for at least 30 days", async () => {
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    const board = createTaskBoard(redis, prefix);
    await board.add(record("kept", 1));
    await board.update("kept", { state: "succeeded" });
    const ttl = await redis.ttl(`${prefix}:taskbox:task:kept`);
    expect(ttl).toBeGreaterThanOrEqual(30 * 24 * 3600 - 5);
    expect(await redis.ttl(`${prefix}:taskbox:thread:octo/hello#1`)).toBeGreaterThanOrEqual(30 * 24 * 3600 - 5);
  });

  it("announces cancel requests on its channel", async () => {
    const board = createTaskBoard(redis, `test-${randomUUID().slice(0, 8)}`);
    const subscriber = redis.duplicate();
    try {
      const heard = new Promise<string>((resolve) =>
        subscriber.on("message", (_channel: string, message: string) => resolve(message)),
      );
      await subscriber.subscribe(board.cancelChannel);
      await board.requestCancel({ taskId: "t2", by: "octocat" });
      expect(JSON.parse(await heard)).toEqual({ taskId: "t2", by: "octocat" });
    } finally {
      subscriber.disconnect();
    }
  });
});
