import { hostname } from "node:os";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { createTaskJobProcessor } from "./process-task-job.js";
import { createRunningTasks, listenForCancels } from "./running-tasks.js";
import { createTaskBoard } from "../queue/task-board.js";
import { TASK_QUEUE_NAME, type TaskJobData } from "../queue/task-job.js";
import { createTaskQueue } from "../queue/task-queue.js";
import type { TaskStatus } from "../report/task-status.js";
import type { TaskDeps } from "../task/task-scope.js";
import { finishAbandonedTask, isStalledTooOften } from "./finish-abandoned-task.js";
import { showQueuedReason } from "../github/queued-status.js";

/** What a finished job keeps in Redis: its state, and the pull request it opened. */
type TaskJobResult = Pick<TaskStatus, "state" | "pullRequest"> | undefined;

/** A job BullMQ gives up on after its workers died has no attempt left to finish its status comment: this does. */
function finishIfAbandoned(
  job: TaskJobData,
  error: Error,
  { maxStalledCount, deps, log }: { maxStalledCount: number; deps: TaskDeps; log: Logger },
): void {
  if (!isStalledTooOften(error)) return;
  finishAbandonedTask({ job, maxStalledCount, installation: deps.installation, log }).catch((finishError: unknown) =>
    log.error({ taskId: job.taskId, err: finishError }, "could not finish the status comment of an abandoned task"),
  );
}

export function startTaskWorker(options: {
  connection: Redis;
  prefix: string;
  concurrency: number;
  deps: TaskDeps;
  log: Logger;
  /** Tasks of one repository that may run at once across all workers (TASKBOX_REPO_CONCURRENCY). */
  repositoryConcurrency?: number;
  /**
   * When a job whose worker died (no lock renewal for lockDurationMs) is noticed (every stalledIntervalMs), and how
   * often such a job is run again before it fails (TASKBOX_LOCK_DURATION_MS, _STALLED_INTERVAL_MS, _MAX_STALLED_COUNT).
   */
  stalledJobs?: { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount: number };
}): Worker<TaskJobData, TaskJobResult> {
  const { deps, log } = options;
  const board = createTaskBoard(options.connection, options.prefix);
  const queue = createTaskQueue(options.connection, options.prefix);
  const running = createRunningTasks();
  const processJob = createTaskJobProcessor({
    board,
    queue,
    deps,
    onQueued: async (data, reason) => {
      const { octokit } = await deps.installation(data.installationId);
      await showQueuedReason(octokit, data, reason).catch((err: unknown) =>
        log.warn({ err, taskId: data.taskId }, "could not say why the task waits"),
      );
    },
    running,
    repositoryConcurrency: options.repositoryConcurrency ?? 1,
    log,
  });
  const stopCancels = listenForCancels({
    subscriber: options.connection.duplicate(),
    channel: board.cancelChannel,
    running,
    log,
  });
  const worker = new Worker<TaskJobData, TaskJobResult>(
    TASK_QUEUE_NAME,
    async (job, token, signal) => {
      const status = await processJob(job, token, signal);
      return status && { state: status.state, pullRequest: status.pullRequest };
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // Listed on /admin with the worker's host.
      name: `${hostname()}:${process.pid}`,
      ...(options.stalledJobs && {
        lockDuration: options.stalledJobs.lockDurationMs,
        stalledInterval: options.stalledJobs.stalledIntervalMs,
        maxStalledCount: options.stalledJobs.maxStalledCount,
      }),
    },
  );
  worker.on("failed", (job, error) => {
    log.error({ jobId: job?.id, err: error }, "task job failed");
    if (job) finishIfAbandoned(job.data, error, { maxStalledCount: worker.opts.maxStalledCount ?? 1, deps, log });
  });
  worker.on("error", (error) => log.error({ err: error }, "worker error"));
  worker.on("closed", () => {
    stopCancels();
    void queue.close();
  });
  return worker;
}
