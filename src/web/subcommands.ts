import type { Context } from "probot";
import { renderHelp } from "../report/render-replies.js";
import { DEFAULT_COMMAND } from "./parse-command.js";
import type { WebDeps } from "./web-deps.js";

export type CommentContext = Context<"issue_comment.created">;

/** A `/taskbox <name>` command; it runs after the commenter's write access is confirmed. */
export type SubcommandHandler = (context: CommentContext, deps: WebDeps, invocation: { login: string }) => Promise<void>;

export const SUBCOMMANDS: Record<string, SubcommandHandler> = {
  help: async (context) => {
    await context.octokit.rest.issues.createComment(context.issue({ body: renderHelp(DEFAULT_COMMAND, Object.keys(SUBCOMMANDS)) }));
  },
};
