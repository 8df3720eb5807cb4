import { formatDuration } from "../config/duration.js";
import type { QueuedReason, TaskStatus } from "./task-status.js";

/** No worker has taken a queued task for this long: the comment says so, since workers may all be down or busy. */
export const NO_WORKER_AFTER_MS = 60_000;

type Failure = NonNullable<TaskStatus["failure"]>;

/** Where the failure's fix is described: a link when TASKBOX_CONFIG_DOCS_URL is set, else the README's section. */
function configDocs(docsUrl: string | undefined): string {
  return docsUrl ? `[configuration reference](${docsUrl})` : "configuration reference (`README.md#configuration`)";
}

/**
 * The next step that fits a failure: a setup failure is investigated with `/taskbox env`, a limit the config sets is
 * raised in the config, anything else may pass on a retry.
 */
export function renderNextStep(failure: Failure, docsUrl: string | undefined): string {
  if (failure.phase === "setup") {
    return `**Next step:** fix the setup in \`.github/taskbox.yml\` (see the ${configDocs(docsUrl)}), then comment \`/taskbox env\` to run the setup alone and see its log, and \`/taskbox retry\` once it passes.`;
  }
  if (/agent\.max_turns|agent\.max_tokens|limits\.task_timeout/.test(failure.message)) {
    return `**Next step:** raise the limit named above in \`.github/taskbox.yml\` (see the ${configDocs(docsUrl)}) or narrow the request, then comment \`/taskbox retry\`.`;
  }
  return "**Next step:** comment `/taskbox retry` to run the task again.";
}

/** Why a queued task has not started. */
export function renderQueuedReason(reason: QueuedReason): string {
  switch (reason.kind) {
    case "repository":
      return `Waits for a free slot: this repository already runs ${reason.cap === 1 ? "a task" : `${reason.cap} tasks`} (\`TASKBOX_REPO_CONCURRENCY\`: ${reason.cap}).`;
    case "worker":
      return `No worker has taken this task for over ${formatDuration(NO_WORKER_AFTER_MS)}: every worker is busy or none is running.`;
  }
}

/** " in 3m 12s" for an ended task, from its start and end (the sum of its phases when those are unknown). */
export function durationSuffix(status: TaskStatus): string {
  if (status.startedAt !== undefined && status.finishedAt !== undefined) {
    return ` in ${formatDuration(Math.max(0, status.finishedAt - status.startedAt))}`;
  }
  const total = Object.values(status.timings).reduce((sum, ms) => sum + (ms ?? 0), 0);
  return total > 0 ? ` in ${formatDuration(total)}` : "";
}

/** "turn 3 of 50 · 1m 4s": where a running task is. */
export function runningProgress(status: TaskStatus, now: number): string {
  const parts: string[] = [];
  if (status.turn !== undefined)
    parts.push(status.maxTurns ? `turn ${status.turn} of ${status.maxTurns}` : `turn ${status.turn}`);
  if (status.startedAt !== undefined) parts.push(formatDuration(Math.max(0, now - status.startedAt)));
  return parts.join(" · ");
}
