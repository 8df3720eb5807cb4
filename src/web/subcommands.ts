import type { Logger } from "pino";
import type { Context } from "probot";
import type { ConfigResult } from "../config/load-repo-config.js";
import { DEFAULT_TRIGGER_LABEL } from "../config/schema.js";
import { postComment } from "../github/comments.js";
import { renderHelp } from "../report/render-replies.js";
import { cancelCommand } from "./commands/cancel-command.js";
import { envCheckCommand } from "./commands/env-check-command.js";
import { resetCacheCommand } from "./commands/reset-cache-command.js";
import { retryCommand } from "./commands/retry-command.js";
import { statusCommand } from "./commands/status-command.js";
import type { WebDeps } from "./web-deps.js";

export type CommentContext = Context<"issue_comment.created">;

export interface SubcommandInvocation {
  login: string;
  /** The command word of this repository (`triggers.command`). */
  command: string;
  /** The repository's configuration; a subcommand that needs it reports its error itself. */
  config: ConfigResult;
  log: Logger;
}

/**
 * A `/taskbox <name>` command; it runs after the commenter's write access is confirmed. A name is one word: a request
 * of more than one word is always a task.
 */
export type SubcommandHandler = (
  context: CommentContext,
  deps: WebDeps,
  invocation: SubcommandInvocation,
) => Promise<void>;

export const SUBCOMMANDS: Record<string, SubcommandHandler> = {
  help: async (context, _deps, { command, config }) => {
    const label = config.ok ? config.config.triggers.label : DEFAULT_TRIGGER_LABEL;
    await postComment(context.octokit, context.issue(), renderHelp(command, Object.keys(SUBCOMMANDS), label));
  },
  status: statusCommand,
  cancel: cancelCommand,
  retry: retryCommand,
  env: envCheckCommand,
  "reset-cache": resetCacheCommand,
};
