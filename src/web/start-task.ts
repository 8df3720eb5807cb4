import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import { postComment, reactToComment } from "../github/comments.js";
import { canStartTasks, getRepositoryRole } from "../github/permissions.js";
import { postStatusComment, updateStatusComment } from "../github/status-comment.js";
import { enqueueTask, isTaskQueued } from "../queue/task-queue.js";
import { TASK_JOB_VERSION, taskIdForDelivery, type TaskJobData } from "../queue/task-job.js";
import { newTaskRecord } from "../queue/task-record.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import { checkRequest } from "./check-request.js";
import { QueueUnavailableError, usingQueue } from "./queue-unavailable.js";
import { renderRateLimited } from "./rate-limit.js";
import { renderQueuedBehind } from "./render-lifecycle.js";
import type { WebDeps } from "./web-deps.js";

const DEFAULT_MAX_REQUEST_CHARS = 20_000;

/**
 * A request to run a task, already authorized (the requester has write access) and its config valid: the job to
 * queue, less what starting it fills in, plus how it was asked for.
 */
export type TaskRequest = Omit<
  TaskJobData,
  "version" | "taskId" | "statusCommentId" | "enqueuedAt" | "issue" | "followUp"
> & {
  deliveryId: string;
  issue: Omit<TaskJobData["issue"], "authorTrusted">;
  /** The comment that asked, acknowledged with 👀. */
  commentId?: number;
};

export interface StartTaskContext {
  octokit: GitHubClient;
  log: Logger;
}

/**
 * Queues the task with one status comment the worker keeps up to date, and records it on its thread: a task on a
 * thread with an unfinished task waits for it, and its status comment says so. A redelivered webhook finds its task
 * and starts nothing.
 */
export async function startTask(ctx: StartTaskContext, deps: WebDeps, request: TaskRequest): Promise<void> {
  const { octokit, log } = ctx;
  const reply = (body: string) =>
    postComment(octokit, { owner: request.owner, repo: request.repo, issue_number: request.issue.number }, body);
  const taskId = taskIdForDelivery(request.deliveryId);
  if (await usingQueue(() => isTaskQueued(deps.queue, taskId))) {
    log.info({ taskId }, "ignoring a redelivered webhook: its task exists");
    return;
  }
  const checked = checkRequest(request.request, {
    maxChars: deps.maxRequestChars ?? DEFAULT_MAX_REQUEST_CHARS,
    login: request.requestedBy,
  });
  if (!checked.ok) {
    await reply(checked.reply);
    return;
  }
  if (request.commentId !== undefined) {
    await reactToComment(octokit, { owner: request.owner, repo: request.repo, commentId: request.commentId }, "eyes");
  }
  const job = await jobOf(octokit, { ...request, request: checked.request }, taskId);
  const ahead = await usingQueue(() =>
    deps.board.line({ repository: `${job.owner}/${job.repo}`, number: job.issue.number }),
  );
  const refusal = await rateLimitRefusal(deps, job);
  if (refusal) {
    log.info({ taskId }, "refused a task start over the rate limit");
    await reply(refusal);
    return;
  }
  const queued: TaskStatus = {
    taskId,
    state: "queued",
    requestedBy: job.requestedBy,
    timings: {},
    notes: ahead.length > 0 ? [renderQueuedBehind(ahead, job.thread)] : undefined,
  };
  await queueWithStatusComment(octokit, deps, job, queued);
  log.info({ taskId, ahead: ahead.length }, "task queued");
}

/** The job, built once from the request: only the issue author's trust needs GitHub. */
async function jobOf(
  octokit: GitHubClient,
  request: TaskRequest,
  taskId: string,
): Promise<Omit<TaskJobData, "statusCommentId" | "enqueuedAt">> {
  const { deliveryId: _deliveryId, commentId: _commentId, issue, ...rest } = request;
  const authorTrusted =
    issue.author === request.requestedBy ||
    canStartTasks(await getRepositoryRole(octokit, { owner: request.owner, repo: request.repo }, issue.author));
  return { version: TASK_JOB_VERSION, taskId, ...rest, issue: { ...issue, authorTrusted } };
}

async function rateLimitRefusal(deps: WebDeps, job: Pick<TaskJobData, "taskId" | "installationId" | "requestedBy">) {
  if (!deps.rateLimiter) return undefined;
  const start = { taskId: job.taskId, installationId: job.installationId, login: job.requestedBy };
  const decision = await usingQueue(() => deps.rateLimiter!.tryStart(start));
  return decision.allowed ? undefined : renderRateLimited(decision, job.requestedBy);
}

/**
 * Posts the Queued status comment, then records the task and queues its job. Should Redis fail in between, the
 * comment says so and the error is thrown on: the intake step is run again, and takes the same comment over.
 */
async function queueWithStatusComment(
  octokit: GitHubClient,
  deps: WebDeps,
  draft: Omit<TaskJobData, "statusCommentId" | "enqueuedAt">,
  queued: TaskStatus,
): Promise<void> {
  const { owner, repo, taskId } = draft;
  const statusComment = await postStatusComment(
    octokit,
    { owner, repo, issueNumber: draft.issue.number, taskId },
    renderStatus(queued),
  );
  const job: TaskJobData = { ...draft, statusCommentId: statusComment.id, enqueuedAt: Date.now() };
  try {
    // In the line before the job exists, so that no worker can run it out of turn.
    await deps.board.add(newTaskRecord(job, statusComment.html_url));
    await enqueueTask(deps.queue, job);
  } catch (error) {
    // Never leave a comment that says "Queued" for a task that does not exist.
    const failure = {
      phase: "queue" as const,
      message:
        "Taskbox could not queue the task because its queue is unavailable. It picks this request up again once the " +
        "queue is back; if nothing happens within a few minutes, comment again.",
    };
    await updateStatusComment(
      octokit,
      { owner, repo, commentId: statusComment.id },
      renderStatus({ ...queued, notes: undefined, state: "failed", failure }),
    );
    const thread = { repository: `${owner}/${repo}`, number: job.issue.number };
    await deps.board.leave(thread, taskId).catch(() => undefined);
    await deps.board.update(taskId, { state: "failed", failure, finishedAt: Date.now() }).catch(() => undefined);
    throw new QueueUnavailableError(error);
  }
}
