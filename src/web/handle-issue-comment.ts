import type { Context } from "probot";
import { loadRepoConfig } from "../config/load-repo-config.js";
import type { ConfigDefaults } from "../config/schema.js";
import { resolveSecrets, type SecretsStore } from "../config/secrets.js";
import { enqueueTask, isTaskQueued, type TaskQueue } from "../queue/task-queue.js";
import { taskIdForDelivery } from "../queue/task-job.js";
import { renderConfigError, renderPermissionRefusal, renderUsage } from "../report/render-replies.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import { DEFAULT_COMMAND, parseCommand } from "./parse-command.js";
import { canStartTasks, getRepositoryRole } from "./permissions.js";

export interface WebDeps {
  queue: TaskQueue;
  configDefaults: ConfigDefaults;
  loadSecrets: () => Promise<SecretsStore>;
}

type CommentContext = Context<"issue_comment.created">;

async function reply(context: CommentContext, body: string): Promise<void> {
  await context.octokit.rest.issues.createComment(context.issue({ body }));
}

/** Guards, authorizes, validates and enqueues; all real work happens in the worker. */
export async function handleIssueComment(context: CommentContext, deps: WebDeps): Promise<void> {
  const { comment, issue, repository, installation } = context.payload;
  const log = context.log.child({ repo: repository.full_name, issue: issue.number, commentId: comment.id });
  // Bots never start tasks: this includes Taskbox's own comments, which quote the command.
  if (context.isBot || !comment.user || comment.user.type === "Bot") return;

  const command = parseCommand(comment.body, DEFAULT_COMMAND);
  if (command.kind === "none") return;

  const login = comment.user.login;
  const role = await getRepositoryRole(context.octokit, context.repo(), login);
  if (!canStartTasks(role)) {
    log.info({ login, role }, "refused a command from a user without write access");
    await reply(context, renderPermissionRefusal({ login, permission: role }));
    return;
  }
  if (command.kind === "usage") {
    await reply(context, renderUsage(DEFAULT_COMMAND));
    return;
  }
  if (issue.pull_request) {
    await reply(context, `@${login}, Taskbox tasks start from issues for now; follow-ups on pull requests are not supported yet.`);
    return;
  }
  if (!installation) throw new Error("issue_comment event without an installation: is this a GitHub App webhook?");

  const taskId = taskIdForDelivery(context.id);
  if (await isTaskQueued(deps.queue, taskId)) {
    log.info({ taskId }, "ignoring a redelivered webhook: its task exists");
    return;
  }
  await context.octokit.rest.reactions.createForIssueComment(context.repo({ comment_id: comment.id, content: "eyes" }));

  const loaded = await loadRepoConfig(context, deps.configDefaults);
  if (!loaded.ok) {
    await reply(context, renderConfigError({ error: loaded.error }));
    return;
  }
  const secrets = resolveSecrets(await deps.loadSecrets(), repository.full_name, loaded.config.environment.secrets);
  if (!secrets.ok) {
    await reply(context, renderConfigError({ error: secrets.error }));
    return;
  }

  const author = issue.user.login;
  const authorTrusted = author === login || canStartTasks(await getRepositoryRole(context.octokit, context.repo(), author));
  const queued: TaskStatus = { taskId, state: "queued", requestedBy: login, timings: {} };
  const statusComment = await context.octokit.rest.issues.createComment(context.issue({ body: renderStatus(queued) }));
  try {
    await enqueueTask(deps.queue, {
      taskId,
      deliveryId: context.id,
      installationId: installation.id,
      owner: repository.owner.login,
      repo: repository.name,
      defaultBranch: repository.default_branch,
      issue: { number: issue.number, title: issue.title, body: issue.body, author, authorTrusted },
      commentId: comment.id,
      statusCommentId: statusComment.data.id,
      requestedBy: login,
      request: command.request,
      config: loaded.config,
      enqueuedAt: Date.now(),
    });
  } catch (error) {
    // Never leave a comment that says "Queued" for a task that does not exist.
    const failure = { phase: "queue" as const, message: "Taskbox could not queue the task (its queue is unavailable); try again later." };
    await context.octokit.rest.issues.updateComment(
      context.repo({ comment_id: statusComment.data.id, body: renderStatus({ ...queued, state: "failed", failure }) }),
    );
    throw error;
  }
  log.info({ taskId }, "task queued");
}
