import { loadRepoConfig } from "../config/load-repo-config.js";
import { postComment } from "../github/comments.js";
import { renderPermissionRefusal, renderUsage } from "../report/render-replies.js";
import { DEFAULT_COMMAND, mayBeCommand, parseCommand } from "./parse-command.js";
import { canStartTasks, getRepositoryRole } from "../github/permissions.js";
import { renderUnknownCommand } from "./render-lifecycle.js";
import { startCommentTask } from "./start-comment-task.js";
import { SUBCOMMANDS, type CommentContext } from "./subcommands.js";
import type { WebDeps } from "./web-deps.js";

/**
 * Guards and authorizes a command comment on an issue or pull request, then hands it on; all real work happens in
 * the worker. The command word comes from the repository's config (`triggers.command`); while the config is
 * invalid, the default word is recognised so that the reply can say what is wrong.
 */
export async function handleIssueComment(context: CommentContext, deps: WebDeps): Promise<void> {
  const { comment, issue, repository } = context.payload;
  const log = context.log.child({ repo: repository.full_name, issue: issue.number, commentId: comment.id });
  // Bots never start tasks: this includes Taskbox's own comments, which quote the command.
  if (context.isBot || !comment.user || comment.user.type === "Bot") return;
  if (!mayBeCommand(comment.body)) return;

  const config = await loadRepoConfig(context, deps.configDefaults);
  const command = config.ok ? config.config.triggers.command : DEFAULT_COMMAND;
  const parsed = parseCommand(comment.body, command, Object.keys(SUBCOMMANDS));
  if (parsed.kind === "none") return;

  const login = comment.user.login;
  const reply = (body: string) => postComment(context.octokit, context.issue(), body);
  const role = await getRepositoryRole(context.octokit, context.repo(), login);
  if (!canStartTasks(role)) {
    log.info({ login, role }, "refused a command from a user without write access");
    await reply(renderPermissionRefusal({ login, permission: role }));
    return;
  }
  switch (parsed.kind) {
    case "usage":
      await reply(renderUsage(command));
      return;
    case "unknown":
      await reply(renderUnknownCommand(command, parsed.word, Object.keys(SUBCOMMANDS)));
      return;
    case "subcommand":
      await SUBCOMMANDS[parsed.name]!(context, deps, { login, command, config, log });
      return;
    case "task":
      await startCommentTask(
        context,
        deps,
        { login, config, log },
        { trigger: { kind: "comment" }, request: parsed.request },
      );
  }
}
