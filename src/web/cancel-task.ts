import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import type { ThreadRef } from "../queue/task-board.js";
import { jobIdForTask } from "../queue/task-job.js";
import { isFinished } from "../queue/task-record.js";
import { renderStatus } from "../report/render-status.js";
import { updateStatusComment } from "../github/status-comment.js";
import { removeTriggerLabel } from "../github/remove-trigger-label.js";
import type { WebDeps } from "./web-deps.js";

const QUEUED_STATES = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

/**
 * Stops a task of a thread. Every worker hears the request, and the one running the task aborts it: its sandbox is
 * killed and its status comment says who cancelled it. A task that has not started is taken out of the queue here,
 * and its status comment is finished here, since no worker will ever pick it up.
 */
export async function cancelTask(
  octokit: GitHubClient,
  deps: Pick<WebDeps, "queue" | "board">,
  thread: ThreadRef,
  taskId: string,
  by: string,
  log: Logger,
): Promise<void> {
  await deps.board.requestCancel({ taskId, by });
  const job = await deps.queue.getJob(jobIdForTask(taskId));
  const state = job ? await job.getState() : "unknown";
  // An active job is running (or checking its turn), and a job that became active meanwhile cannot be removed: its
  // worker sees the request. A finished job stays, so that a redelivered webhook still finds it.
  const removed =
    QUEUED_STATES.has(state) &&
    (await job!.remove().then(
      () => true,
      () => false,
    ));
  if (state === "active" || (QUEUED_STATES.has(state) && !removed)) {
    log.info({ taskId, by }, "asked the worker running the task to cancel it");
    return;
  }
  const record = await deps.board.get(taskId);
  const next = await deps.board.leave(thread, taskId);
  for (const waiting of [next.nextInThread, next.nextInRepository]) {
    if (waiting) await (await deps.queue.getJob(jobIdForTask(waiting)))?.promote().catch(() => undefined);
  }
  if (!record || isFinished(record)) return;
  await deps.board.update(taskId, { state: "cancelled", cancelledBy: by, finishedAt: Date.now() });
  const [owner, repo] = thread.repository.split("/") as [string, string];
  await updateStatusComment(
    octokit,
    { owner, repo, commentId: record.statusCommentId },
    renderStatus({ taskId, state: "cancelled", cancelledBy: by, requestedBy: record.requestedBy, timings: {} }),
  );
  const trigger = job?.data.trigger;
  if (trigger?.kind === "label")
    await removeTriggerLabel(octokit, { owner, repo, number: thread.number, label: trigger.label });
  log.info({ taskId, by }, "cancelled a queued task");
}
