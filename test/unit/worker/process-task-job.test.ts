import { DelayedError, type Job } from "bullmq";
import pino from "pino";
import type { ProbotOctokit } from "probot";
import { describe, expect, it, vi } from "vitest";
import { createTaskJobProcessor } from "../../../src/worker/process-task-job.js";
import { createRunningTasks } from "../../../src/worker/running-tasks.js";
import { jobIdForTask, TASK_JOB_VERSION, type TaskJobData } from "../../../src/queue/task-job.js";
import type { TaskQueue } from "../../../src/queue/task-queue.js";
import type { TaskRecord } from "../../../src/queue/task-record.js";
import type { QueuedReason, TaskStatus } from "../../../src/report/task-status.js";
import { TaskCancelledError } from "../../../src/task/task-cancelled.js";
import type { runTask } from "../../../src/task/run-task.js";
import type { TaskDeps, TaskEndHook } from "../../../src/task/task-scope.js";
import { createMemoryTaskBoard, type MemoryTaskBoard } from "../../support/memory-task-board.js";

const NOW = Date.parse("2024-05-01T12:00:00Z");

function record(taskId: string, number: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId,
    repository: "octo/hello",
    thread: { kind: "issue", number },
    trigger: "comment",
    request: `request ${taskId}`,
    requestedBy: "maintainer",
    state: "queued",
    createdAt: NOW - 1000,
    statusCommentId: 1,
    ...overrides,
  };
}

function data(taskId: string, number: number, overrides: Partial<TaskJobData> = {}): TaskJobData {
  return {
    version: TASK_JOB_VERSION,
    taskId,
    installationId: 42,
    owner: "octo",
    repo: "hello",
    defaultBranch: "main",
    issue: { number, title: "t", body: null, author: "maintainer", authorTrusted: true },
    statusCommentId: 1,
    requestedBy: "maintainer",
    request: `request ${taskId}`,
    config: {} as TaskJobData["config"],
    enqueuedAt: NOW - 1000,
    thread: "issue",
    trigger: { kind: "comment" },
    ...overrides,
  };
}

/** BullMQ's side: job states by task id, and the calls the processor makes on jobs. */
function fakeBull(states: Record<string, string> = {}) {
  const promoted: string[] = [];
  const queue = {
    getJobState: async (jobId: string) => states[jobId.replace(/^task-/, "")] ?? "unknown",
    getJob: async (jobId: string) => ({ promote: async () => void promoted.push(jobId.replace(/^task-/, "")) }),
  };
  const job = (jobData: TaskJobData) => {
    const calls = { delayedUntil: undefined as number | undefined, promotedSelf: false };
    const handle = {
      id: jobIdForTask(jobData.taskId),
      data: jobData,
      moveToDelayed: async (timestamp: number) => void (calls.delayedUntil = timestamp),
      promote: async () => void (calls.promotedSelf = true),
    };
    return { job: handle as unknown as Job<TaskJobData>, calls };
  };
  return { queue: queue as unknown as TaskQueue, promoted, job };
}

const octokit = {
  rest: { issues: { removeLabel: vi.fn(async () => ({})) } },
} as unknown as ProbotOctokit & { rest: { issues: { removeLabel: ReturnType<typeof vi.fn> } } };

function processor(
  board: MemoryTaskBoard,
  queue: TaskQueue,
  run: (...args: Parameters<typeof runTask>) => Promise<TaskStatus>,
  cap = 1,
  onQueued?: (job: TaskJobData, reason: QueuedReason) => Promise<void>,
) {
  const running = createRunningTasks();
  const process = createTaskJobProcessor({
    board,
    queue,
    deps: {} as TaskDeps,
    running,
    repositoryConcurrency: cap,
    recheckMs: 10_000,
    log: pino({ level: "silent" }),
    now: () => NOW,
    run: run,
    onQueued,
  });
  return { process, running };
}

const succeeded = (job: TaskJobData): TaskStatus => ({
  taskId: job.taskId,
  state: "succeeded",
  requestedBy: "maintainer",
  timings: { agent: 5 },
});

describe("the task job processor", () => {
  it("fails a job of a version it does not know in its status comment, without running it or crashing", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("future", 1));
    const bull = fakeBull();
    const updated: string[] = [];
    const fakeOctokit = {
      rest: {
        issues: { updateComment: async ({ body }: { body: string }) => (updated.push(body), { data: { id: 1 } }) },
      },
    } as unknown as ProbotOctokit;
    const process = createTaskJobProcessor({
      board,
      queue: bull.queue,
      deps: { installation: async () => ({ octokit: fakeOctokit, mintToken: async () => "t" }) } as unknown as TaskDeps,
      running: createRunningTasks(),
      repositoryConcurrency: 1,
      log: pino({ level: "silent" }),
      now: () => NOW,
      run: () => Promise.reject(new Error("an unreadable job must not run")),
    });

    const job = { ...data("future", 1), version: TASK_JOB_VERSION + 1 } as unknown as TaskJobData;
    const result = await process(bull.job(job).job);

    expect(result?.state).toBe("failed");
    expect(updated[0]).toContain(`queued as job version ${TASK_JOB_VERSION + 1}`);
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual([]);
  });

  it("runs the head of its thread's line, keeps its record, then leaves the line and wakes the next task", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("first", 1, { trigger: "label" }));
    await board.add(record("second", 1));
    const bull = fakeBull({ second: "delayed" });
    const seen: Array<{ job: TaskJobData; startedAt?: number }> = [];
    const { process } = processor(board, bull.queue, async (job, _deps, _signal, onEnd) => {
      seen.push({ job, startedAt: (await board.get(job.taskId))?.startedAt });
      const status = { ...succeeded(job), summary: "done with sk-secret", pullRequest: { number: 100, url: "u" } };
      await onEnd!(status, { octokit, redact: (text) => text.replace("sk-secret", "***") });
      // The next task is woken as soon as the task has ended, while its status comment is still being finalised.
      lineAtEnd = await board.line({ repository: "octo/hello", number: 1 });
      return status;
    });
    let lineAtEnd: string[] = [];

    const result = await process(bull.job(data("first", 1, { trigger: { kind: "label", label: "taskbox" } })).job);
    expect(lineAtEnd).toEqual(["second"]);

    expect(result?.state).toBe("succeeded");
    expect(seen[0]?.startedAt).toBe(NOW);
    expect(await board.get("first")).toMatchObject({
      state: "succeeded",
      summary: "done with ***",
      pullRequest: { number: 100 },
      finishedAt: NOW,
    });
    expect((await board.pullHistory({ repository: "octo/hello", number: 100 })).map((r) => r.taskId)).toEqual([
      "first",
    ]);
    expect(octokit.rest.issues.removeLabel).toHaveBeenCalledWith({
      owner: "octo",
      repo: "hello",
      issue_number: 1,
      name: "taskbox",
    });
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual(["second"]);
    expect(bull.promoted).toContain("second");
  });

  it("sends a task that is not first in its line back to the delayed set without running it", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("first", 1));
    await board.add(record("second", 1));
    const bull = fakeBull({ first: "active" });
    const run = vi.fn();
    const { process } = processor(board, bull.queue, run);
    const { job, calls } = bull.job(data("second", 1));

    await expect(process(job)).rejects.toBeInstanceOf(DelayedError);
    expect(run).not.toHaveBeenCalled();
    expect(calls.delayedUntil).toBe(NOW + 10_000);
    expect(calls.promotedSelf).toBe(false);
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual(["first", "second"]);
  });

  it("drops a line's head whose job is gone (its worker died) and runs the next task", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("dead", 1, { createdAt: NOW - 3_600_000 }));
    await board.add(record("next", 1));
    const bull = fakeBull({ dead: "failed" });
    const { process } = processor(board, bull.queue, async (job) => succeeded(job));

    expect((await process(bull.job(data("next", 1)).job))?.state).toBe("succeeded");
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual([]);
  });

  it("waits for a repository slot while another thread's task of the repository runs, and is woken when it ends", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("busy", 1));
    await board.add(record("other", 2));
    await board.tryStart({ repository: "octo/hello", number: 1 }, "busy", 1);
    const bull = fakeBull({ busy: "active", other: "delayed" });
    const { process } = processor(board, bull.queue, async (job) => succeeded(job));

    await expect(process(bull.job(data("other", 2)).job)).rejects.toBeInstanceOf(DelayedError);
    // A task of another repository is not held back.
    await board.add(record("elsewhere", 1, { repository: "octo/else" }));
    expect((await process(bull.job(data("elsewhere", 1, { repo: "else" })).job))?.state).toBe("succeeded");

    expect(await board.leave({ repository: "octo/hello", number: 1 }, "busy")).toMatchObject({
      nextInRepository: "other",
    });
  });

  it("tells the status comment once that the task waits for the repository's concurrency cap", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("busy", 1));
    await board.add(record("other", 2));
    await board.tryStart({ repository: "octo/hello", number: 1 }, "busy", 1);
    const bull = fakeBull({ busy: "active", other: "delayed" });
    const told: Array<[string, QueuedReason]> = [];
    const { process } = processor(
      board,
      bull.queue,
      async (job) => succeeded(job),
      1,
      async (job, reason) => {
        told.push([job.taskId, reason]);
      },
    );

    await expect(process(bull.job(data("other", 2)).job)).rejects.toBeInstanceOf(DelayedError);
    await expect(process(bull.job(data("other", 2)).job)).rejects.toBeInstanceOf(DelayedError);
    expect(told).toEqual([["other", { kind: "repository", cap: 1 }]]);
  });

  it("frees the slot of a task whose job no longer runs", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("crashed", 1));
    await board.tryStart({ repository: "octo/hello", number: 1 }, "crashed", 1);
    await board.add(record("waiting", 2));
    const bull = fakeBull({ crashed: "waiting" }); // back in the queue after a stall: it holds no slot while it waits
    const { process } = processor(board, bull.queue, async (job) => succeeded(job));

    expect((await process(bull.job(data("waiting", 2)).job))?.state).toBe("succeeded");
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual(["crashed"]); // keeps its place in line
  });

  it("starts a task cancelled while it was queued with its signal already aborted by whoever cancelled it", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("doomed", 1));
    await board.requestCancel({ taskId: "doomed", by: "octocat" });
    const bull = fakeBull();
    let reason: unknown;
    const { process } = processor(board, bull.queue, async (job, _deps, signal) => {
      reason = signal?.reason;
      return { ...succeeded(job), state: "cancelled" };
    });

    await process(bull.job(data("doomed", 1)).job);
    expect(reason).toBeInstanceOf(TaskCancelledError);
    expect((reason as TaskCancelledError).by).toBe("octocat");
  });

  it("aborts a running task when a cancel request reaches this process", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("long", 1));
    const bull = fakeBull();
    let started!: () => void;
    const isRunning = new Promise<void>((resolve) => (started = resolve));
    const harnessed = processor(board, bull.queue, (job, _deps, signal) => {
      started();
      return new Promise((resolve) =>
        signal!.addEventListener("abort", () =>
          resolve({ ...succeeded(job), state: "cancelled", cancelledBy: (signal!.reason as TaskCancelledError).by }),
        ),
      );
    });

    const result = harnessed.process(bull.job(data("long", 1)).job);
    await isRunning;
    expect(harnessed.running.cancel({ taskId: "other-task", by: "x" })).toBe(false);
    expect(harnessed.running.cancel({ taskId: "long", by: "octocat" })).toBe(true);
    expect(await result).toMatchObject({ state: "cancelled", cancelledBy: "octocat" });
  });

  it("continues an issue's work on the pull request an earlier task opened, with the earlier tasks on it", async () => {
    const board = createMemoryTaskBoard();
    const opened = record("opened", 1, {
      state: "succeeded",
      pullRequest: { number: 100, url: "u" },
      summary: "Opened it.",
      createdAt: NOW - 5000,
    });
    await board.add(opened);
    await board.leave({ repository: "octo/hello", number: 1 }, "opened");
    await board.addToPull({ repository: "octo/hello", number: 100 }, opened);
    await board.add(record("again", 1));
    let hint: TaskJobData["followUp"];
    const { process } = processor(board, fakeBull().queue, async (job) => {
      hint = job.followUp;
      return succeeded(job);
    });

    await process(fakeBull().job(data("again", 1)).job);
    expect(hint).toEqual({
      pullNumber: 100,
      earlierTasks: [
        {
          taskId: "opened",
          requestedBy: "maintainer",
          request: "request opened",
          state: "succeeded",
          summary: "Opened it.",
        },
      ],
    });
  });

  it("records a task that failed, and does not list it as work on the pull request", async () => {
    const board = createMemoryTaskBoard();
    await board.add(record("broken", 5, { thread: { kind: "pull", number: 5 } }));
    const { process } = processor(
      board,
      fakeBull().queue,
      async (job, _deps, _signal, onEnd: TaskEndHook | undefined) => {
        const status: TaskStatus = {
          taskId: job.taskId,
          state: "failed",
          requestedBy: "maintainer",
          timings: {},
          followUp: { number: 5, url: "u", branch: "b" },
          failure: { phase: "publish", message: "rejected" },
        };
        await onEnd!(status, { octokit, redact: (text) => text });
        return status;
      },
    );

    await process(fakeBull().job(data("broken", 5, { thread: "pull" })).job);
    expect(await board.get("broken")).toMatchObject({
      state: "failed",
      failure: { phase: "publish", message: "rejected" },
    });
    expect(await board.pullHistory({ repository: "octo/hello", number: 5 })).toEqual([]);
  });
});
