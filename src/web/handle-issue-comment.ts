import { renderPermissionRefusal, renderUsage } from "../report/render-replies.js";
import { DEFAULT_COMMAND, parseCommand } from "./parse-command.js";
import { canStartTasks, getRepositoryRole } from "./permissions.js";
import { startTask } from "./start-task.js";
import { SUBCOMMANDS, type CommentContext } from "./subcommands.js";
import type { WebDeps } from "./web-deps.js";

/** Guards and authorizes a command comment, then hands it on; all real work happens in the worker. */
export async function handleIssueComment(context: CommentContext, deps: WebDeps): Promise<void> {
  const { comment, issue, repository, installation } = context.payload;
  const log = context.log.child({ repo: repository.full_name, issue: issue.number, commentId: comment.id });
  // Bots never start tasks: this includes Taskbox's own comments, which quote the command.
  if (context.isBot || !comment.user || comment.user.type === "Bot") return;

  const command = parseCommand(comment.body, DEFAULT_COMMAND, Object.keys(SUBCOMMANDS));
  if (command.kind === "none") return;

  const login = comment.user.login;
  const role = await getRepositoryRole(context.octokit, context.repo(), login);
  if (!canStartTasks(role)) {
    log.info({ login, role }, "refused a command from a user without write access");
    await context.octokit.rest.issues.createComment(context.issue({ body: renderPermissionRefusal({ login, permission: role }) }));
    return;
  }
  switch (command.kind) {
    case "usage":
      await context.octokit.rest.issues.createComment(context.issue({ body: renderUsage(DEFAULT_COMMAND) }));
      return;
    case "subcommand":
      await SUBCOMMANDS[command.name]!(context, deps, { login });
      return;
    case "task":
      break;
  }
  if (issue.pull_request) {
    await context.octokit.rest.issues.createComment(
      context.issue({ body: `@${login}, Taskbox tasks start from issues for now; follow-ups on pull requests are not supported yet.` }),
    );
    return;
  }
  if (!installation) throw new Error("issue_comment event without an installation: is this a GitHub App webhook?");
  await startTask({ octokit: context.octokit, configSource: context, log }, deps, {
    deliveryId: context.id,
    installationId: installation.id,
    owner: repository.owner.login,
    repo: repository.name,
    defaultBranch: repository.default_branch,
    issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.user.login },
    requestedBy: login,
    request: command.request,
    commentId: comment.id,
  });
}
