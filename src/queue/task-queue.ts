import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { TASK_JOB_NAME, TASK_QUEUE_NAME, jobIdForTask, type TaskJobData } from "./task-job.js";

const THIRTY_DAYS_S = 30 * 24 * 3600;

export type TaskQueue = Queue<TaskJobData>;

export function createTaskQueue(connection: Redis, prefix: string): TaskQueue {
  return new Queue<TaskJobData>(TASK_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      // A task runs a model and pushes code: retrying it blindly could open a second PR.
      attempts: 1,
      // Finished jobs are kept so that a redelivered webhook still finds its task and is ignored.
      removeOnComplete: { age: THIRTY_DAYS_S },
      removeOnFail: { age: THIRTY_DAYS_S },
    },
  });
}

export async function isTaskQueued(queue: TaskQueue, taskId: string): Promise<boolean> {
  return (await queue.getJob(jobIdForTask(taskId))) !== undefined;
}

export async function enqueueTask(queue: TaskQueue, data: TaskJobData): Promise<void> {
  await queue.add(TASK_JOB_NAME, data, { jobId: jobIdForTask(data.taskId) });
}
