import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import { showQueuedReason } from "../github/queued-status.js";
import type { TaskQueue } from "../queue/task-queue.js";
import { NO_WORKER_AFTER_MS } from "../report/render-status-guidance.js";
import { runPeriodically, type Periodic } from "../run-periodically.js";

const NOTICE_TTL_S = 30 * 24 * 3600;

export interface WatchUnclaimedTasksOptions {
  queue: TaskQueue;
  redis: Pick<Redis, "set">;
  prefix: string;
  installationOctokit(installationId: number): Promise<GitHubClient>;
  intervalMs: number;
  log: Logger;
  now?: () => number;
}

/**
 * Tells a task's thread when no worker has taken it for over a minute (every worker busy, or none running), once per
 * task. A task a worker has seen waits in the delayed set instead, and its comment says what it waits for.
 */
export function watchUnclaimedTasks(options: WatchUnclaimedTasksOptions): Periodic {
  const { queue, redis, log, now = Date.now } = options;
  return runPeriodically(
    "unclaimed tasks",
    options.intervalMs,
    async () => {
      for (const job of await queue.getJobs(["waiting", "prioritized"])) {
        if (now() - job.data.enqueuedAt < NO_WORKER_AFTER_MS) continue;
        const first = await redis.set(
          `${options.prefix}:taskbox:no-worker:${job.data.taskId}`,
          "1",
          "EX",
          NOTICE_TTL_S,
          "NX",
        );
        if (first !== "OK" || (await job.getState()) !== "waiting") continue;
        log.warn({ taskId: job.data.taskId }, "no worker has taken a queued task for over a minute");
        await showQueuedReason(await options.installationOctokit(job.data.installationId), job.data, {
          kind: "worker",
        });
      }
    },
    log,
  );
}
