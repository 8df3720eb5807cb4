import type { Logger } from "pino";
import type { TaskBoard, ThreadRef } from "../queue/task-board.js";
import { jobIdForTask, type TaskJobData } from "../queue/task-job.js";
import type { TaskQueue } from "../queue/task-queue.js";
import type { QueuedReason } from "../report/task-status.js";

/** The web process adds a task to its line just before its job exists; younger line entries are never stale. */
const ENQUEUE_GRACE_MS = 60_000;
const LIVE_STATES = new Set(["active", "waiting", "delayed", "prioritized", "waiting-children"]);

export interface TurnOptions {
  board: TaskBoard;
  queue: TaskQueue;
  /** Tasks of one repository that may run at once across all workers. */
  repositoryConcurrency: number;
  log: Logger;
  now: () => number;
  /** Tells the task's status comment why it still waits. */
  onQueued?: (data: TaskJobData, reason: QueuedReason) => Promise<void>;
}

async function isLive({ board, queue, now }: TurnOptions, taskId: string): Promise<boolean> {
  const state = await queue.getJobState(jobIdForTask(taskId));
  if (LIVE_STATES.has(state)) return true;
  if (state !== "unknown") return false;
  const record = await board.get(taskId);
  return record !== undefined && now() - record.createdAt < ENQUEUE_GRACE_MS;
}

/** Frees the repository slots of tasks that no longer run; says whether it freed any. */
async function freeStaleSlots(options: TurnOptions, thread: ThreadRef, taskId: string, running: string[]) {
  let freed = false;
  for (const other of running) {
    if ((await options.queue.getJobState(jobIdForTask(other))) === "active") continue;
    options.log.warn({ taskId, stale: other }, "freeing the repository slot of a task that no longer runs");
    await options.board.releaseSlot(thread.repository, other);
    freed = true;
  }
  return freed;
}

/**
 * Claims the task's turn: first in its thread's line, and a free slot of its repository. Entries left behind by a
 * worker that died are cleared on the way. False means the task waits, and is promoted when its turn comes.
 */
export async function claimTurn(options: TurnOptions, thread: ThreadRef, data: TaskJobData): Promise<boolean> {
  const { board, log } = options;
  for (;;) {
    const decision = await board.tryStart(thread, data.taskId, options.repositoryConcurrency);
    if (decision.ok) return true;
    if (decision.reason === "thread") {
      if (await isLive(options, decision.blockedBy)) return false;
      log.warn(
        { taskId: data.taskId, stale: decision.blockedBy },
        "dropping a task that no longer runs from its thread's line",
      );
      await board.leave(thread, decision.blockedBy);
      continue;
    }
    if (!(await freeStaleSlots(options, thread, data.taskId, decision.running))) {
      if (await board.waitForSlot(thread, data.taskId, data.enqueuedAt)) {
        await options.onQueued?.(data, { kind: "repository", cap: options.repositoryConcurrency });
      }
      return false;
    }
  }
}

async function promote(queue: TaskQueue, taskId: string | undefined): Promise<void> {
  if (taskId === undefined) return;
  const job = await queue.getJob(jobIdForTask(taskId));
  // Only a delayed job can be promoted; one that is already waiting or running needs nothing.
  await job?.promote().catch(() => undefined);
}

/**
 * Hands the thread and the repository slot on, once: the next tasks are woken while this task's status comment
 * is finalised, so the job completes right after its comment says so.
 */
export function releaser({ board, queue }: TurnOptions, thread: ThreadRef, taskId: string): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    const next = await board.leave(thread, taskId);
    await promote(queue, next.nextInThread);
    await promote(queue, next.nextInRepository);
  };
}
