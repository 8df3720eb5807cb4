import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { TASK_QUEUE_NAME, type TaskJobData } from "../queue/task-job.js";
import type { TaskState } from "../report/task-status.js";
import { runTask, type TaskDeps } from "../task/run-task.js";

export interface TaskJobResult {
  state: TaskState;
  pullRequest?: { number: number; url: string };
}

export function startTaskWorker(options: {
  connection: Redis;
  prefix: string;
  concurrency: number;
  deps: TaskDeps;
  log: Logger;
}): Worker<TaskJobData, TaskJobResult> {
  const { deps, log } = options;
  const worker = new Worker<TaskJobData, TaskJobResult>(
    TASK_QUEUE_NAME,
    async (job, _token, signal) => {
      const status = await runTask(job.data, deps, signal);
      return { state: status.state, pullRequest: status.pullRequest };
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency },
  );
  worker.on("failed", (job, error) => log.error({ jobId: job?.id, err: error }, "task job failed"));
  worker.on("error", (error) => log.error({ err: error }, "worker error"));
  return worker;
}
