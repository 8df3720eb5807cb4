import type { Logger } from "pino";
import type { ProbotOctokit } from "probot";
import { loadRepoConfig, type ConfigSource } from "../config/load-repo-config.js";
import { resolveSecrets } from "../config/secrets.js";
import { enqueueTask, isTaskQueued } from "../queue/task-queue.js";
import { taskIdForDelivery } from "../queue/task-job.js";
import { renderConfigError } from "../report/render-replies.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import { canStartTasks, getRepositoryRole } from "./permissions.js";
import type { WebDeps } from "./web-deps.js";

/** A request to run a task, already authorized: the requester has write access. */
export interface TaskRequest {
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  defaultBranch: string;
  issue: { number: number; title: string; body: string | null; author: string };
  requestedBy: string;
  request: string;
  /** The comment that asked, acknowledged with 👀. */
  commentId: number;
}

export interface StartTaskContext {
  octokit: ProbotOctokit;
  /** Probot's context: reads .github/taskbox.yml from the default branch, with _extends. */
  configSource: ConfigSource;
  log: Logger;
}

/** Validates the repository's config and queues the task, with one status comment the worker keeps up to date. */
export async function startTask(ctx: StartTaskContext, deps: WebDeps, request: TaskRequest): Promise<void> {
  const { octokit, log } = ctx;
  const { owner, repo } = request;
  const reply = (body: string) => octokit.rest.issues.createComment({ owner, repo, issue_number: request.issue.number, body });

  const taskId = taskIdForDelivery(request.deliveryId);
  if (await isTaskQueued(deps.queue, taskId)) {
    log.info({ taskId }, "ignoring a redelivered webhook: its task exists");
    return;
  }
  await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: request.commentId, content: "eyes" });

  const loaded = await loadRepoConfig(ctx.configSource, deps.configDefaults);
  if (!loaded.ok) {
    await reply(renderConfigError({ error: loaded.error }));
    return;
  }
  const secrets = resolveSecrets(await deps.loadSecrets(), `${owner}/${repo}`, loaded.config.environment.secrets);
  if (!secrets.ok) {
    await reply(renderConfigError({ error: secrets.error }));
    return;
  }

  const { author } = request.issue;
  const authorTrusted =
    author === request.requestedBy || canStartTasks(await getRepositoryRole(octokit, { owner, repo }, author));
  const queued: TaskStatus = { taskId, state: "queued", requestedBy: request.requestedBy, timings: {} };
  const statusComment = await reply(renderStatus(queued));
  try {
    await enqueueTask(deps.queue, {
      taskId,
      deliveryId: request.deliveryId,
      installationId: request.installationId,
      owner,
      repo,
      defaultBranch: request.defaultBranch,
      issue: { ...request.issue, authorTrusted },
      commentId: request.commentId,
      statusCommentId: statusComment.data.id,
      requestedBy: request.requestedBy,
      request: request.request,
      config: loaded.config,
      enqueuedAt: Date.now(),
    });
  } catch (error) {
    // Never leave a comment that says "Queued" for a task that does not exist.
    const failure = { phase: "queue" as const, message: "Taskbox could not queue the task (its queue is unavailable); try again later." };
    await octokit.rest.issues.updateComment({
      owner,
      repo,
      comment_id: statusComment.data.id,
      body: renderStatus({ ...queued, state: "failed", failure }),
    });
    throw error;
  }
  log.info({ taskId }, "task queued");
}
