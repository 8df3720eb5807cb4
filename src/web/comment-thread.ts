import type { ThreadRef } from "../queue/task-board.js";
import type { ThreadKind } from "../queue/task-job.js";
import type { TaskRequest } from "./start-task.js";
import type { CommentContext } from "./subcommands.js";

/** The issue or pull request a comment was made on. */
export function commentThread(context: CommentContext): { kind: ThreadKind; ref: ThreadRef } {
  const { issue, repository } = context.payload;
  return {
    kind: issue.pull_request ? "pull" : "issue",
    ref: { repository: repository.full_name, number: issue.number },
  };
}

/** The parts of a task request that come from the comment asking for it. */
export function commentTaskRequest(
  context: CommentContext,
  task: Pick<TaskRequest, "trigger" | "request" | "context" | "config" | "kind">,
): TaskRequest {
  const { comment, issue, repository, installation } = context.payload;
  if (!installation) throw new Error("issue_comment event without an installation: is this a GitHub App webhook?");
  return {
    deliveryId: context.id,
    installationId: installation.id,
    owner: repository.owner.login,
    repo: repository.name,
    defaultBranch: repository.default_branch,
    issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.user.login },
    thread: commentThread(context).kind,
    requestedBy: comment.user!.login,
    commentId: comment.id,
    ...task,
  };
}
