/**
 * The abort reason a task's signal carries when its worker shuts down and TASKBOX_SHUTDOWN_TIMEOUT has run out
 * (`worker.cancelAllJobs`, whose reason BullMQ passes on as is). Such a task ends as failed, saying how to retry.
 */
export const SHUTDOWN_REASON = "taskbox-shutdown";

export function isInterruptedByShutdown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === SHUTDOWN_REASON;
}

export function interruptedMessage(command: string): string {
  return (
    "Taskbox was shut down while this task ran, and the task did not end within the shutdown grace period " +
    `(TASKBOX_SHUTDOWN_TIMEOUT). Comment \`${command} retry\` to run it again.`
  );
}
