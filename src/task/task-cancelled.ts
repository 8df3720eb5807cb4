/** The abort reason of a task stopped with `/taskbox cancel`: not a failure, and it names who stopped it. */
export class TaskCancelledError extends Error {
  constructor(readonly by: string) {
    super(`cancelled by @${by}`);
    this.name = "TaskCancelledError";
  }
}

export function cancellationOf(signal: AbortSignal | undefined): TaskCancelledError | undefined {
  return signal?.aborted && signal.reason instanceof TaskCancelledError ? signal.reason : undefined;
}
