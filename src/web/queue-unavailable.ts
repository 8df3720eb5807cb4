/**
 * The web process could not reach its task queue (Redis). Octokit's webhook middleware answers a webhook with the
 * `status` of the error its handler threw, so this one gets a 503: GitHub records the delivery as failed, and
 * delivery recovery (recover-deliveries.ts) has it redelivered once Redis is back.
 */
export class QueueUnavailableError extends Error {
  readonly status = 503;

  constructor(cause: unknown) {
    super(`Taskbox cannot reach its task queue (Redis): ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "QueueUnavailableError";
  }
}

/** Runs one of the web process's Redis operations; any failure becomes a QueueUnavailableError. */
export async function usingQueue<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new QueueUnavailableError(error);
  }
}
