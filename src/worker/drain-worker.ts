import type { Logger } from "pino";
import { SHUTDOWN_REASON } from "../task/task-interrupted.js";

/** The part of a BullMQ Worker that draining uses. */
export interface DrainableWorker {
  close(): Promise<void>;
  cancelAllJobs(reason?: string): void;
}

/**
 * Stops taking jobs and lets the running tasks finish for up to `timeoutMs`; then aborts them, and each ends with a
 * status comment that says it was interrupted and how to retry it (run-task). Resolves once every task has ended.
 */
export async function drainWorker(worker: DrainableWorker, timeoutMs: number, log: Logger): Promise<void> {
  const interrupt = setTimeout(() => {
    log.warn({ timeoutMs }, "shutdown timeout reached: interrupting the running tasks");
    worker.cancelAllJobs(SHUTDOWN_REASON);
  }, timeoutMs);
  try {
    await worker.close();
  } finally {
    clearTimeout(interrupt);
  }
}
