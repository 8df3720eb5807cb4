import { describe, expect, it } from "vitest";
import { cancelTaskFromCli, showTask } from "../../../src/cli/tasks.js";
import type { TaskRecord } from "../../../src/queue/task-record.js";
import type { TaskQueue } from "../../../src/queue/task-queue.js";
import { createMemoryTaskBoard } from "../../support/memory-task-board.js";

const NO_JOBS = { getJob: () => Promise.resolve(undefined) } as unknown as TaskQueue;

function record(overrides: Partial<TaskRecord>): TaskRecord {
  return {
    taskId: "t1",
    repository: "octo/hello",
    thread: { kind: "issue", number: 7 },
    trigger: "comment",
    request: "fix the build",
    requestedBy: "octocat",
    state: "running",
    createdAt: Date.UTC(2026, 11, 4, 19),
    statusCommentId: 1,
    ...overrides,
  };
}

async function stores(...records: TaskRecord[]) {
  const board = createMemoryTaskBoard();
  for (const entry of records) await board.add(entry);
  return { board, queue: NO_JOBS };
}

describe("taskbox tasks", () => {
  it("cancels a running task as /taskbox cancel does, naming who cancelled it", async () => {
    const { board, queue } = await stores(record({}));
    expect(await cancelTaskFromCli({ board, queue }, "t1", "admin")).toContain('"Cancelled by @admin"');
    expect(board.cancels).toStrictEqual([{ taskId: "t1", by: "admin" }]);
  });

  it("leaves a task that has ended alone", async () => {
    const { board, queue } = await stores(record({ state: "succeeded" }));
    expect(await cancelTaskFromCli({ board, queue }, "t1", "admin")).toBe("task t1 has already ended (succeeded)");
    expect(board.cancels).toStrictEqual([]);
  });

  it("shows a task's record, and refuses an unknown id", async () => {
    const { board, queue } = await stores(record({ failure: { phase: "setup", message: "npm ci exited with 1" } }));
    const lines = await showTask({ board, queue }, "t1");
    expect(lines).toContain("thread: octo/hello#7 (issue, comment)");
    expect(lines).toContain("failure (setup): npm ci exited with 1");
    expect(lines.at(-1)).toBe("job: gone");
    await expect(showTask({ board, queue }, "nope")).rejects.toThrow("no task nope");
  });
});
