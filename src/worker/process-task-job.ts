import { DelayedError, type Job } from "bullmq";
import type { Logger } from "pino";
import type { QueuedReason, TaskStatus } from "../report/task-status.js";
import { removeTriggerLabel } from "../github/remove-trigger-label.js";
import { runTask } from "../task/run-task.js";
import type { TaskDeps, TaskEndHook } from "../task/task-scope.js";
import type { RunningTasks } from "./running-tasks.js";
import type { TaskBoard, ThreadRef } from "../queue/task-board.js";
import { jobIdForTask, type FollowUpHint, type TaskJobData } from "../queue/task-job.js";
import { recordOfStatus, type TaskRecord } from "../queue/task-record.js";
import type { TaskQueue } from "../queue/task-queue.js";
import { metrics } from "../metrics/metrics.js";

/** A waiting task is normally woken by the task it waits for; this re-check covers workers that died. */
const DEFAULT_RECHECK_MS = 10_000;
/** The web process adds a task to its line just before its job exists; younger line entries are never stale. */
const ENQUEUE_GRACE_MS = 60_000;
const EARLIER_TASKS = 10;
const LIVE_STATES = new Set(["active", "waiting", "delayed", "prioritized", "waiting-children"]);

export interface TaskJobProcessorOptions {
  board: TaskBoard;
  queue: TaskQueue;
  deps: TaskDeps;
  running: RunningTasks;
  /** Tasks of one repository that may run at once across all workers. */
  repositoryConcurrency: number;
  recheckMs?: number;
  log: Logger;
  now?: () => number;
  /** Tells the task's status comment why it still waits. */
  onQueued?: (data: TaskJobData, reason: QueuedReason) => Promise<void>;
  /** The task runner; tests replace it. */
  run?: typeof runTask;
}

export type TaskJobProcessor = (job: Job<TaskJobData>, token?: string, signal?: AbortSignal) => Promise<TaskStatus>;

/**
 * Runs a task job once its turn has come: it must be first in its thread's line, and its repository must have a free
 * slot. Otherwise the job goes back to the delayed set (freeing this worker for other repositories' tasks) until the
 * task before it ends and promotes it. The task's record follows it from start to end.
 */
export function createTaskJobProcessor(options: TaskJobProcessorOptions): TaskJobProcessor {
  const { board, queue, deps, running, repositoryConcurrency: cap, log, now = Date.now, run = runTask } = options;
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;

  async function isLive(taskId: string): Promise<boolean> {
    const state = await queue.getJobState(jobIdForTask(taskId));
    if (LIVE_STATES.has(state)) return true;
    if (state !== "unknown") return false;
    const record = await board.get(taskId);
    return record !== undefined && now() - record.createdAt < ENQUEUE_GRACE_MS;
  }

  /** Claims the task's turn; entries left behind by a worker that died are cleared on the way. */
  async function claimTurn(thread: ThreadRef, data: TaskJobData): Promise<boolean> {
    for (;;) {
      const decision = await board.tryStart(thread, data.taskId, cap);
      if (decision.ok) return true;
      if (decision.reason === "thread") {
        if (await isLive(decision.blockedBy)) return false;
        log.warn(
          { taskId: data.taskId, stale: decision.blockedBy },
          "dropping a task that no longer runs from its thread's line",
        );
        await board.leave(thread, decision.blockedBy);
        continue;
      }
      let freed = false;
      for (const taskId of decision.running) {
        if ((await queue.getJobState(jobIdForTask(taskId))) === "active") continue;
        log.warn({ taskId: data.taskId, stale: taskId }, "freeing the repository slot of a task that no longer runs");
        await board.releaseSlot(thread.repository, taskId);
        freed = true;
      }
      if (!freed) {
        if (await board.waitForSlot(thread, data.taskId, data.enqueuedAt)) {
          await options.onQueued?.(data, { kind: "repository", cap });
        }
        return false;
      }
    }
  }

  async function promote(taskId: string | undefined): Promise<void> {
    if (taskId === undefined) return;
    const job = await queue.getJob(jobIdForTask(taskId));
    // Only a delayed job can be promoted; one that is already waiting or running needs nothing.
    await job?.promote().catch(() => undefined);
  }

  async function followUpHint(thread: ThreadRef, data: TaskJobData): Promise<FollowUpHint> {
    let pullNumber: number | undefined = data.thread === "pull" ? data.issue.number : undefined;
    if (pullNumber === undefined) {
      const earlier = await board.history(thread, 50);
      pullNumber = earlier.find((record) => record.taskId !== data.taskId && record.pullRequest)?.pullRequest?.number;
    }
    if (pullNumber === undefined) return { earlierTasks: [] };
    const tasks = await board.pullHistory({ repository: thread.repository, number: pullNumber });
    const earlierTasks = tasks
      .filter((record) => record.taskId !== data.taskId)
      .slice(-EARLIER_TASKS)
      .map(({ taskId, requestedBy, request, state, summary }) => ({ taskId, requestedBy, request, state, summary }));
    return { pullNumber, earlierTasks };
  }

  /**
   * Hands the thread and the repository slot on, once: the next tasks are woken while this task's status comment
   * is finalised, so the job completes right after its comment says so.
   */
  function releaser(thread: ThreadRef, taskId: string): () => Promise<void> {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const next = await board.leave(thread, taskId);
      await promote(next.nextInThread);
      await promote(next.nextInRepository);
    };
  }

  function onEnd(thread: ThreadRef, data: TaskJobData, release: () => Promise<void>): TaskEndHook {
    return async (status, { octokit, redact }) => {
      try {
        const record = await board.update(data.taskId, recordOfStatus(status, redact, now()));
        const pull = record?.pullRequest;
        if (record && pull && (status.state === "succeeded" || status.state === "answered")) {
          await board.addToPull({ repository: thread.repository, number: pull.number }, record);
        }
        if (data.trigger?.kind === "label") {
          await removeTriggerLabel(octokit, {
            owner: data.owner,
            repo: data.repo,
            number: data.issue.number,
            label: data.trigger.label,
          });
        }
      } finally {
        await release();
      }
    };
  }

  return async (job, token, signal) => {
    const data = job.data;
    const thread = { repository: `${data.owner}/${data.repo}`, number: data.issue.number };
    if (!(await claimTurn(thread, data))) {
      await job.moveToDelayed(now() + recheckMs, token);
      // The task ahead may have ended between the claim and the move, promoting nothing: then wake up at once.
      if (await board.couldStart(thread, data.taskId, cap)) await job.promote().catch(() => undefined);
      throw new DelayedError();
    }

    metrics.tasksStarted.inc({ kind: data.kind ?? "task" });
    metrics.queueWait.observe(Math.max(0, now() - data.enqueuedAt) / 1000);
    const cancelSignal = running.track(data.taskId);
    const release = releaser(thread, data.taskId);
    try {
      const cancelledBy = await board.cancelRequestOf(data.taskId);
      if (cancelledBy) running.cancel({ taskId: data.taskId, by: cancelledBy });
      await board.update(data.taskId, { state: "preparing", startedAt: now() } satisfies Partial<TaskRecord>);
      const followUp = await followUpHint(thread, data);
      const taskSignal = signal ? AbortSignal.any([signal, cancelSignal]) : cancelSignal;
      return await run({ ...data, followUp }, deps, taskSignal, onEnd(thread, data, release));
    } finally {
      running.untrack(data.taskId);
      await release(); // when the task ended before its end hook could run
    }
  };
}
