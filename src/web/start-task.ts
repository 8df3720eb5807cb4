import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import type { RepoConfig } from "../config/schema.js";
import { resolveSecrets } from "../config/secrets.js";
import { enqueueTask, isTaskQueued } from "../queue/task-queue.js";
import {
  taskIdForDelivery,
  type TaskContext,
  type TaskJobData,
  type TaskTrigger,
  type ThreadKind,
} from "../queue/task-job.js";
import type { TaskRecord } from "../queue/task-record.js";
import { renderConfigError } from "../report/render-replies.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import { postComment, reactToComment } from "../github/comments.js";
import { canStartTasks, getRepositoryRole } from "../github/permissions.js";
import { postStatusComment, updateStatusComment } from "../github/status-comment.js";
import { renderQueuedBehind } from "./render-lifecycle.js";
import type { WebDeps } from "./web-deps.js";
import { checkRequest } from "./check-request.js";
import { QueueUnavailableError, usingQueue } from "./queue-unavailable.js";
import { renderRateLimited } from "./rate-limit.js";

const DEFAULT_MAX_REQUEST_CHARS = 20_000;

/** A request to run a task, already authorized: the requester has write access. */
export interface TaskRequest {
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** The issue or pull request the task belongs to. */
  issue: { number: number; title: string; body: string | null; author: string };
  thread: ThreadKind;
  trigger: TaskTrigger;
  requestedBy: string;
  request: string;
  context?: TaskContext;
  /** `env-check`: prepare the environment and report, without an agent (`/taskbox env`). */
  kind?: TaskJobData["kind"];
  /** The comment that asked, acknowledged with 👀. */
  commentId?: number;
  /** The repository's configuration, already loaded and valid. */
  config: RepoConfig;
}

export interface StartTaskContext {
  octokit: GitHubClient;
  log: Logger;
}

/**
 * Queues the task with one status comment the worker keeps up to date, and records it on its thread: a task on a
 * thread with an unfinished task waits for it, and its status comment says so.
 */
export async function startTask(ctx: StartTaskContext, deps: WebDeps, request: TaskRequest): Promise<void> {
  const { octokit, log } = ctx;
  const { owner, repo, config } = request;
  const reply = (body: string) => postComment(octokit, { owner, repo, issue_number: request.issue.number }, body);

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
  request = { ...request, request: checked.request };
  if (request.commentId !== undefined) {
    await reactToComment(octokit, { owner, repo, commentId: request.commentId }, "eyes");
  }
  const secrets = resolveSecrets(await deps.loadSecrets(), `${owner}/${repo}`, config.environment.secrets);
  if (!secrets.ok) {
    await reply(renderConfigError({ error: secrets.error }));
    return;
  }

  const { author } = request.issue;
  const authorTrusted =
    author === request.requestedBy || canStartTasks(await getRepositoryRole(octokit, { owner, repo }, author));
  const thread = { repository: `${owner}/${repo}`, number: request.issue.number };
  const ahead = await usingQueue(() => deps.board.line(thread));
  if (deps.rateLimiter) {
    const start = { taskId, installationId: request.installationId, login: request.requestedBy };
    const decision = await usingQueue(() => deps.rateLimiter!.tryStart(start));
    if (!decision.allowed) {
      log.info({ taskId, scope: decision.scope }, "refused a task start over the rate limit");
      await reply(renderRateLimited(decision, request.requestedBy));
      return;
    }
  }
  const queued: TaskStatus = {
    taskId,
    state: "queued",
    requestedBy: request.requestedBy,
    timings: {},
    notes: ahead.length > 0 ? [renderQueuedBehind(ahead, request.thread)] : undefined,
  };
  const statusComment = await postStatusComment(
    octokit,
    { owner, repo, issueNumber: request.issue.number, taskId },
    renderStatus(queued),
  );
  const enqueuedAt = Date.now();
  const record: TaskRecord = {
    taskId,
    repository: thread.repository,
    thread: { kind: request.thread, number: request.issue.number },
    trigger: request.trigger.kind,
    request: request.request,
    context: request.context,
    requestedBy: request.requestedBy,
    retryOf: request.trigger.kind === "retry" ? request.trigger.retryOf : undefined,
    state: "queued",
    createdAt: enqueuedAt,
    statusCommentId: statusComment.id,
    statusCommentUrl: statusComment.html_url,
  };
  try {
    // In the line before the job exists, so that no worker can run it out of turn.
    await deps.board.add(record);
    await enqueueTask(deps.queue, {
      taskId,
      deliveryId: request.deliveryId,
      installationId: request.installationId,
      owner,
      repo,
      defaultBranch: request.defaultBranch,
      issue: { ...request.issue, authorTrusted },
      commentId: request.commentId,
      statusCommentId: statusComment.id,
      requestedBy: request.requestedBy,
      request: request.request,
      config,
      enqueuedAt,
      thread: request.thread,
      trigger: request.trigger,
      context: request.context,
      kind: request.kind,
    });
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
    await deps.board.leave(thread, taskId).catch(() => undefined);
    await deps.board.update(taskId, { state: "failed", failure, finishedAt: Date.now() }).catch(() => undefined);
    // A 503, so that the delivery counts as failed and is redelivered (recover-deliveries.ts) to this same comment.
    throw new QueueUnavailableError(error);
  }
  log.info({ taskId, ahead: ahead.length }, "task queued");
}
