import type { ProbotOctokit } from "probot";
import { statusMarker } from "../report/render-status.js";

/** GitHub redelivers only deliveries of the last three days. */
const REDELIVERY_WINDOW_MS = 3 * 24 * 3600_000;

export interface StatusCommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  taskId: string;
}

/**
 * Posts a task's status comment and returns it. When an earlier delivery of the same webhook posted one and then
 * failed (its queue was down), the redelivery takes over that comment (found by the task's marker), so the issue
 * never shows two status comments for one request.
 */
export async function postStatusComment(
  octokit: ProbotOctokit,
  target: StatusCommentTarget,
  body: string,
  now = Date.now,
): Promise<{ id: number; html_url: string }> {
  const { owner, repo, issueNumber, taskId } = target;
  const since = new Date(now() - REDELIVERY_WINDOW_MS).toISOString();
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    since,
    per_page: 100,
  });
  const earlier = comments.find(
    (comment) => comment.user?.type === "Bot" && comment.body?.startsWith(statusMarker(taskId)),
  );
  if (earlier) {
    const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: earlier.id, body });
    return data;
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return data;
}
