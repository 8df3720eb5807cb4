import type { Logger } from "pino";
import type { Context } from "probot";
import { loadRepoConfig } from "../config/load-repo-config.js";
import { DEFAULT_TRIGGER_LABEL, type RepoConfig } from "../config/schema.js";
import type { TaskRecord } from "../queue/task-record.js";
import { postComment } from "../github/comments.js";
import { renderConfigError, renderPermissionRefusal } from "../report/render-replies.js";
import { removeTriggerLabel } from "../github/remove-trigger-label.js";
import { refusalFor } from "./check-pull-request.js";
import { canStartTasks, getRepositoryRole } from "../github/permissions.js";
import { renderNothingToAddress } from "./render-lifecycle.js";
import { startTask, type TaskRequest } from "./start-task.js";
import { commentsSince, createTrustCheck, openReviewComments, type TrustCheck } from "../github/thread-context.js";
import type { WebDeps } from "./web-deps.js";

type LabeledContext = Context<"issues.labeled"> | Context<"pull_request.labeled">;

interface LabelTask {
  config: RepoConfig;
  label: string;
  trust: TrustCheck;
  reply(body: string): Promise<unknown>;
  removeLabel(): Promise<void>;
  /** Queues the task, with what every label task shares (delivery, repository, requester, trigger, config) filled in. */
  start(request: Pick<TaskRequest, "issue" | "thread" | "request" | "context">): Promise<void>;
  log: Logger;
}

/**
 * The checks both label triggers share: the label is the repository's trigger label, a person with write access
 * added it (labels added by bots never trigger), and the config is valid. A refused label is taken off again, so
 * that adding it later is a new request. Returns undefined when there is nothing (more) to do.
 */
async function acceptLabel(context: LabeledContext, deps: WebDeps, number: number): Promise<LabelTask | undefined> {
  const { label, sender, repository } = context.payload;
  if (!label || context.isBot || sender.type === "Bot") return undefined;
  const config = await loadRepoConfig(context, deps.configDefaults);
  const triggerLabel = config.ok ? config.config.triggers.label : DEFAULT_TRIGGER_LABEL;
  // GitHub treats label names case-insensitively.
  if (label.name.toLowerCase() !== triggerLabel.toLowerCase()) return undefined;

  const log = context.log.child({ repo: repository.full_name, issue: number, label: label.name });
  const repo = { owner: repository.owner.login, repo: repository.name };
  const role = await getRepositoryRole(context.octokit, repo, sender.login);
  const task: Omit<LabelTask, "config" | "start"> = {
    label: label.name,
    trust: createTrustCheck(context.octokit, repo, { [sender.login]: canStartTasks(role) }),
    reply: (body) => postComment(context.octokit, { ...repo, issue_number: number }, body),
    removeLabel: () => removeTriggerLabel(context.octokit, { ...repo, number, label: label.name }),
    log,
  };
  if (!canStartTasks(role)) {
    log.info({ login: sender.login, role }, "refused a label added by a user without write access");
    await task.reply(renderPermissionRefusal({ login: sender.login, permission: role }));
    await task.removeLabel();
    return undefined;
  }
  if (!config.ok) {
    await task.reply(renderConfigError({ error: config.error }));
    await task.removeLabel();
    return undefined;
  }
  const start: LabelTask["start"] = (request) =>
    startTask({ octokit: context.octokit, log }, deps, {
      deliveryId: context.id,
      installationId: requireInstallation(context.payload.installation),
      owner: repo.owner,
      repo: repo.repo,
      defaultBranch: repository.default_branch,
      trigger: { kind: "label", label: label.name },
      requestedBy: sender.login,
      config: config.config,
      ...request,
    });
  return { ...task, config: config.config, start };
}

/**
 * The trigger label on an issue: a task whose request is the issue's title and body. Labelled again later, the task
 * also gets the comments made since the thread's last task; those by people without write access are marked untrusted.
 */
export async function handleIssueLabeled(context: Context<"issues.labeled">, deps: WebDeps): Promise<void> {
  const { issue, repository } = context.payload;
  if (issue.pull_request) return; // a pull request's label arrives as pull_request.labeled
  const task = await acceptLabel(context, deps, issue.number);
  if (!task) return;
  const target = { owner: repository.owner.login, repo: repository.name, number: issue.number };
  const [last] = await deps.board.history({ repository: repository.full_name, number: issue.number }, 1);
  const comments = last
    ? await commentsSince(context.octokit, target, {
        since: last.createdAt,
        command: task.config.triggers.command,
        trust: task.trust,
      })
    : [];
  await task.start({
    issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.user?.login ?? "ghost" },
    thread: "issue",
    request: `${issue.title}\n\n${issue.body ?? ""}`.trim(),
    context: comments.length > 0 ? { comments, reviewComments: [] } : undefined,
  });
}

/**
 * The trigger label on a pull request: a follow-up that addresses its open review comments (file, line, body) and
 * the comments made since the last Taskbox task on it, so a reviewer can label the pull request to have their review
 * addressed.
 */
export async function handlePullRequestLabeled(context: Context<"pull_request.labeled">, deps: WebDeps): Promise<void> {
  const { pull_request: pull, repository, sender } = context.payload;
  const task = await acceptLabel(context, deps, pull.number);
  if (!task) return;
  const refusal = refusalFor(pull, repository.full_name, sender.login);
  if (refusal) {
    await task.reply(refusal);
    await task.removeLabel();
    return;
  }
  const target = { owner: repository.owner.login, repo: repository.name, number: pull.number };
  const thread = { repository: repository.full_name, number: pull.number };
  const [threadTasks, pullTasks] = await Promise.all([deps.board.history(thread, 1), deps.board.pullHistory(thread)]);
  const since = latest([...threadTasks, ...pullTasks])?.createdAt;
  const [reviewComments, comments] = await Promise.all([
    openReviewComments(context.octokit, target, task.trust),
    commentsSince(context.octokit, target, { since, command: task.config.triggers.command, trust: task.trust }),
  ]);
  if (reviewComments.length === 0 && comments.length === 0) {
    await task.reply(renderNothingToAddress(sender.login, task.label));
    await task.removeLabel();
    return;
  }
  await task.start({
    issue: { number: pull.number, title: pull.title, body: pull.body, author: pull.user?.login ?? "ghost" },
    thread: "pull",
    request: `Address the review comments on #${pull.number}`,
    context: { comments, reviewComments },
  });
}

function latest(records: TaskRecord[]): TaskRecord | undefined {
  return records.reduce<TaskRecord | undefined>(
    (newest, record) => (!newest || record.createdAt > newest.createdAt ? record : newest),
    undefined,
  );
}

function requireInstallation(installation: { id: number } | undefined): number {
  if (!installation) throw new Error("label event without an installation: is this a GitHub App webhook?");
  return installation.id;
}
