import { startCommentTask } from "../start-comment-task.js";
import type { SubcommandHandler } from "../subcommands.js";

/**
 * `/taskbox env`: prepares the environment exactly as a task would (setup, or a cached environment plus the
 * maintenance script) and reports in its status comment, without calling the model. On a pull request it uses the
 * pull request's branch.
 */
export const envCheckCommand: SubcommandHandler = (context, deps, invocation) =>
  startCommentTask(context, deps, invocation, {
    trigger: { kind: "comment" },
    request: `${invocation.command} env`,
    kind: "env-check",
  });
