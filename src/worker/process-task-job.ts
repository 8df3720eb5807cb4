import { DelayedError, type Job } from "bullmq";
import type { Logger } from "pino";
import type { QueuedReason } from "../report/task-status.js";
import { removeTriggerLabel } from "../github/remove-trigger-label.js";
import type { TaskBoard, ThreadRef } from "../queue/task-board.js";
import type { TaskJobData } from "../queue/task-job.js";
import type { TaskQueue } from "../queue/task-queue.js";
import { recordOfStatus, type TaskRecord } from "../queue/task-record.js";
import type { TaskStatus } from "../report/task-status.js";
import { runTask } from "../task/run-task.js";
import type { TaskDeps, TaskEndHook } from "../task/task-scope.js";
import { followUpHint } from "./follow-up-hint.js";
import { failUnreadableJob, readTaskJob } from "./read-task-job.js";
import type { RunningTasks } from "./running-tasks.js";
import { metrics } from "../metrics/metrics.js";
import { claimTurn, releaser, type TurnOptions } from "./task-turn.js";

/** A waiting task is normally woken by the task it waits for; this re-check covers workers that died. */
const DEFAULT_RECHECK_MS = 10_000;

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

/** Undefined only for a job so unreadable that it does not say where its status comment is. */
export type TaskJobProcessor = (
  job: Job<unknown>,
  token?: string,
  signal?: AbortSignal,
) => Promise<TaskStatus | undefined>;

/** Records how the task ended, and takes its trigger label off; the thread is handed on however that goes. */
function endHook(
  board: TaskBoard,
  thread: ThreadRef,
  data: TaskJobData,
  release: () => Promise<void>,
  now: () => number,
): TaskEndHook {
  return async (status, { octokit, redact }) => {
    try {
      const record = await board.update(data.taskId, recordOfStatus(status, redact, now()));
      const pull = record?.pullRequest;
      if (record && pull && (status.state === "succeeded" || status.state === "answered")) {
        await board.addToPull({ repository: thread.repository, number: pull.number }, record);
      }
      if (data.trigger.kind === "label") {
        const label = { owner: data.owner, repo: data.repo, number: data.issue.number, label: data.trigger.label };
        await removeTriggerLabel(octokit, label);
      }
    } finally {
      await release();
    }
  };
}

/**
 * Runs a task job once its turn has come: it must be first in its thread's line, and its repository must have a free
 * slot. Otherwise the job goes back to the delayed set (freeing this worker for other repositories' tasks) until the
 * task before it ends and promotes it. The task's record follows it from start to end. A job this worker cannot
 * read (queued by another version) fails its task with a status comment that says so.
 */
export function createTaskJobProcessor(options: TaskJobProcessorOptions): TaskJobProcessor {
  const { board, deps, running, log, now = Date.now, run = runTask } = options;
  const recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  const turns: TurnOptions = {
    board,
    queue: options.queue,
    repositoryConcurrency: options.repositoryConcurrency,
    log,
    now,
    onQueued: options.onQueued,
  };

  return async (job, token, signal) => {
    const read = readTaskJob(job.data);
    if (!read.ok) return failUnreadableJob(job.data, read.problem, { installation: deps.installation, board, log });
    const data = read.job;
    const thread = { repository: `${data.owner}/${data.repo}`, number: data.issue.number };
    if (!(await claimTurn(turns, thread, data))) {
      await job.moveToDelayed(now() + recheckMs, token);
      // The task ahead may have ended between the claim and the move, promoting nothing: then wake up at once.
      if (await board.couldStart(thread, data.taskId, turns.repositoryConcurrency))
        await job.promote().catch(() => undefined);
      throw new DelayedError();
    }

    metrics.tasksStarted.inc({ kind: data.kind ?? "task" });
    metrics.queueWait.observe(Math.max(0, now() - data.enqueuedAt) / 1000);
    const cancelSignal = running.track(data.taskId);
    const release = releaser(turns, thread, data.taskId);
    try {
      const cancelledBy = await board.cancelRequestOf(data.taskId);
      if (cancelledBy) running.cancel({ taskId: data.taskId, by: cancelledBy });
      await board.update(data.taskId, { state: "preparing", startedAt: now() } satisfies Partial<TaskRecord>);
      const followUp = await followUpHint(board, thread, data);
      const taskSignal = signal ? AbortSignal.any([signal, cancelSignal]) : cancelSignal;
      return await run({ ...data, followUp }, deps, taskSignal, endHook(board, thread, data, release, now));
    } finally {
      running.untrack(data.taskId);
      await release(); // when the task ended before its end hook could run
    }
  };
}
