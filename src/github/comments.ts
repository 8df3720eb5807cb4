import type { ProbotOctokit } from "probot";

/** An issue or pull request, as the issues API names it (`context.issue()` gives one). */
export interface IssueRef {
  owner: string;
  repo: string;
  issue_number: number;
}

/** Answers in the thread with a new comment (a reply; status comments go through status-comment.ts). */
export async function postComment(octokit: ProbotOctokit, issue: IssueRef, body: string): Promise<void> {
  await octokit.rest.issues.createComment({ ...issue, body });
}

/** Reacts to a comment: 👀 when a request is taken on, 👍 when a command is done. */
export async function reactToComment(
  octokit: ProbotOctokit,
  comment: { owner: string; repo: string; commentId: number },
  content: "eyes" | "+1",
): Promise<void> {
  await octokit.rest.reactions.createForIssueComment({
    owner: comment.owner,
    repo: comment.repo,
    comment_id: comment.commentId,
    content,
  });
}
