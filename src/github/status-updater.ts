import type { Logger } from "pino";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";

export interface StatusUpdater {
  /** Records the latest status; it is published when the rate limit allows. Never throws. */
  update(status: TaskStatus): void;
  /** Publishes the final status now, superseding anything pending; rejects if that publish fails. */
  finish(status: TaskStatus): Promise<void>;
}

export interface StatusUpdaterOptions {
  publish: (body: string) => Promise<void>;
  redact: (text: string) => string;
  minIntervalMs: number;
  log: Logger;
  now?: () => number;
}

/**
 * Keeps one status comment current without hitting GitHub's rate limits: a task can report a new command every few
 * hundred milliseconds, so updates are coalesced to at most one edit per minIntervalMs, and the edit made at the end of an
 * interval always shows the latest status. Edits never overlap, so an older body cannot land after a newer one.
 */
export function createStatusUpdater(options: StatusUpdaterOptions): StatusUpdater {
  const { publish, redact, minIntervalMs, log, now = Date.now } = options;
  let latest: TaskStatus | undefined;
  let publishedBody: string | undefined;
  let lastPublishStart = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let finished = false;

  const render = (status: TaskStatus) => redact(renderStatus(redactFields(status, redact)));

  function schedule(): void {
    if (finished || latest === undefined || timer !== undefined || inFlight !== undefined) return;
    const wait = lastPublishStart + minIntervalMs - now();
    if (wait <= 0) {
      publishLatest();
    } else {
      timer = setTimeout(() => {
        timer = undefined;
        publishLatest();
      }, wait);
    }
  }

  function publishLatest(): void {
    const status = latest;
    latest = undefined;
    if (status === undefined) return;
    let body: string;
    try {
      body = render(status);
    } catch (err) {
      log.warn({ err, taskId: status.taskId }, "status comment could not be rendered");
      return;
    }
    if (body === publishedBody) return;
    lastPublishStart = now();
    const current: Promise<void> = Promise.resolve()
      .then(() => publish(body))
      .then(
        () => {
          publishedBody = body;
        },
        (err: unknown) => {
          log.warn({ err, taskId: status.taskId }, "status comment update failed; a later update will retry");
        },
      )
      .finally(() => {
        // finish() may have replaced this publish with its own by now; that one must stay visible to it.
        if (inFlight === current) inFlight = undefined;
        schedule();
      });
    inFlight = current;
  }

  return {
    update(status) {
      if (finished) {
        log.debug({ taskId: status.taskId }, "status update after finish ignored");
        return;
      }
      latest = status;
      schedule();
    },
    finish(status) {
      finished = true;
      latest = undefined;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      // A second finish() queues behind the first, so even then only one publish is in flight.
      const previous = inFlight;
      const final = (async () => {
        await previous?.catch(() => undefined);
        const body = render(status);
        if (body === publishedBody) return;
        await publish(body);
        publishedBody = body;
      })();
      inFlight = final;
      return final;
    },
  };
}

/**
 * Rendering quotes, truncates and defuses text (a line break becomes "\n> ", "@x" gains a zero-width space), which can
 * split a secret so that redacting the finished body no longer finds it; so the free-text fields are redacted first too.
 */
function redactFields(status: TaskStatus, redact: (text: string) => string): TaskStatus {
  return {
    ...status,
    lastCommand: status.lastCommand === undefined ? undefined : redact(status.lastCommand),
    summary: status.summary === undefined ? undefined : redact(status.summary),
    failure: status.failure && {
      ...status.failure,
      message: redact(status.failure.message),
      logTail: status.failure.logTail === undefined ? undefined : redact(status.failure.logTail),
    },
    notes: status.notes?.map(redact),
  };
}
