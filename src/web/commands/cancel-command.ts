import { postComment, reactToComment } from "../../github/comments.js";
import { cancelTask } from "../cancel-task.js";
import { commentThread } from "../comment-thread.js";
import { renderNothingToCancel } from "../render-lifecycle.js";
import type { SubcommandHandler } from "../subcommands.js";

/** `/taskbox cancel`: stops every queued or running task of the issue or pull request. */
export const cancelCommand: SubcommandHandler = async (context, deps, { login, log }) => {
  const { kind, ref } = commentThread(context);
  const line = await deps.board.line(ref);
  if (line.length === 0) {
    await postComment(context.octokit, context.issue(), renderNothingToCancel(kind));
    return;
  }
  await reactToComment(context.octokit, context.repo({ commentId: context.payload.comment.id }), "+1");
  // Last first: cancelling the running task first would let the next one start before it is cancelled too.
  for (const taskId of [...line].reverse()) await cancelTask(context.octokit, deps, ref, taskId, login, log);
};
