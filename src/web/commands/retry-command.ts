import { postComment } from "../../github/comments.js";
import { isFinished } from "../../queue/task-record.js";
import { commentThread } from "../comment-thread.js";
import { renderNothingToRetry, renderRetryBusy } from "../render-lifecycle.js";
import { startCommentTask } from "../start-comment-task.js";
import type { SubcommandHandler } from "../subcommands.js";

/**
 * `/taskbox retry`: the thread's last task again, with the same request (and the same quoted comments, for a label
 * task), on the thread's current head and the repository's current configuration.
 */
export const retryCommand: SubcommandHandler = async (context, deps, { login, command, config, log }) => {
  const { kind, ref } = commentThread(context);
  const reply = (body: string) => postComment(context.octokit, context.issue(), body);
  const [last] = await deps.board.history(ref, 1);
  if (!last) return void (await reply(renderNothingToRetry(command, kind)));
  if (!isFinished(last)) return void (await reply(renderRetryBusy(command, last)));
  await startCommentTask(
    context,
    deps,
    { login, config, log },
    { trigger: { kind: "retry", retryOf: last.taskId }, request: last.request, context: last.context },
  );
};
