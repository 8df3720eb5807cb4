import { postComment } from "../../github/comments.js";
import { commentThread } from "../comment-thread.js";
import { renderThreadTasks } from "../render-lifecycle.js";
import type { SubcommandHandler } from "../subcommands.js";

const SHOWN_TASKS = 10;

/** `/taskbox status`: the thread's current and recent tasks. */
export const statusCommand: SubcommandHandler = async (context, deps) => {
  const { kind, ref } = commentThread(context);
  const records = await deps.board.history(ref, SHOWN_TASKS);
  await postComment(context.octokit, context.issue(), renderThreadTasks(records, kind, Date.now()));
};
