import { postComment } from "../github/comments.js";
import { renderConfigError } from "../report/render-replies.js";
import { pullRequestRefusal } from "./check-pull-request.js";
import { commentTaskRequest, commentThread } from "./comment-thread.js";
import { startTask, type TaskRequest } from "./start-task.js";
import type { CommentContext, SubcommandInvocation } from "./subcommands.js";
import type { WebDeps } from "./web-deps.js";

/**
 * Starts a task asked for by a comment (a request, `env` or `retry`), once the commenter's write access is known:
 * an invalid config and a pull request Taskbox cannot push to are answered in the thread instead.
 */
export async function startCommentTask(
  context: CommentContext,
  deps: WebDeps,
  { login, config, log }: Pick<SubcommandInvocation, "login" | "config" | "log">,
  task: Pick<TaskRequest, "trigger" | "request" | "context" | "kind">,
): Promise<void> {
  const reply = (body: string) => postComment(context.octokit, context.issue(), body);
  if (!config.ok) {
    await reply(renderConfigError({ error: config.error }));
    return;
  }
  const { kind, ref } = commentThread(context);
  if (kind === "pull") {
    const refusal = await pullRequestRefusal(context.octokit, context.repo({ number: ref.number }), login);
    if (refusal) {
      log.info({ login }, "refused a task on a pull request Taskbox cannot push to");
      await reply(refusal);
      return;
    }
  }
  await startTask(
    { octokit: context.octokit, log },
    deps,
    commentTaskRequest(context, { ...task, config: config.config }),
  );
}
