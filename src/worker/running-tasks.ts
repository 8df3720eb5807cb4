import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { TaskCancelledError } from "../task/task-cancelled.js";
import type { CancelRequest } from "../queue/task-board.js";

/** The tasks this worker process runs, each with the controller that cancels it. */
export interface RunningTasks {
  /** The returned signal aborts with a TaskCancelledError when the task is cancelled. */
  track(taskId: string): AbortSignal;
  untrack(taskId: string): void;
  /** Cancels the task if this process runs it; returns whether it did. */
  cancel(request: CancelRequest): boolean;
}

export function createRunningTasks(): RunningTasks {
  const controllers = new Map<string, AbortController>();
  return {
    track(taskId) {
      const controller = new AbortController();
      controllers.set(taskId, controller);
      return controller.signal;
    },
    untrack(taskId) {
      controllers.delete(taskId);
    },
    cancel({ taskId, by }) {
      const controller = controllers.get(taskId);
      if (!controller || controller.signal.aborted) return false;
      controller.abort(new TaskCancelledError(by));
      return true;
    },
  };
}

/**
 * BullMQ can only cancel a job from the worker process that runs it, and the web process is another process: so
 * cancel requests are announced on a Redis channel, and the process that runs the task aborts it. A request that
 * arrives before the task starts is caught by the flag the worker checks at start.
 */
export function listenForCancels(options: {
  subscriber: Redis;
  channel: string;
  running: RunningTasks;
  log: Logger;
}): () => void {
  const { subscriber, channel, running, log } = options;
  subscriber.on("error", (error: Error) => log.warn({ err: error }, "cancel channel connection error"));
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    let request: CancelRequest;
    try {
      request = JSON.parse(message) as CancelRequest;
    } catch {
      log.warn({ channel }, "ignored a malformed cancel request");
      return;
    }
    if (running.cancel(request)) log.info({ taskId: request.taskId, by: request.by }, "task cancelled");
  });
  // ioredis re-subscribes by itself after a reconnect.
  subscriber
    .subscribe(channel)
    .catch((error: unknown) => log.error({ err: error }, "could not subscribe to cancel requests"));
  return () => subscriber.disconnect();
}
