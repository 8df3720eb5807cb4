import type { Logger } from "pino";
import type { ProbotOctokit } from "probot";
import { statusMarker } from "../report/render-status.js";
import { createStatusUpdater, type StatusUpdater } from "./status-updater.js";

/** GitHub redelivers only deliveries of the last three days. */
const REDELIVERY_WINDOW_MS = 3 * 24 * 3600_000;

export interface StatusCommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  taskId: string;
}

/** A status comment that exists. */
export interface StatusCommentRef {
  owner: string;
  repo: string;
  commentId: number;
}

/**
 * The one writer of task status comments: every create and every edit of one goes through this module.
 *
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
  const { owner, repo, issueNumber } = target;
  const earlier = await findStatusComment(octokit, target, now);
  if (earlier) return updateStatusComment(octokit, { owner, repo, commentId: earlier.id }, body);
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
  return data;
}

/** The task's status comment posted by a bot within the redelivery window, found by the task's marker. */
export async function findStatusComment(
  octokit: ProbotOctokit,
  target: StatusCommentTarget,
  now = Date.now,
): Promise<{ id: number } | undefined> {
  const { owner, repo, issueNumber, taskId } = target;
  const since = new Date(now() - REDELIVERY_WINDOW_MS).toISOString();
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issueNumber,
    since,
    per_page: 100,
  });
  return comments.find((comment) => comment.user?.type === "Bot" && comment.body?.startsWith(statusMarker(taskId)));
}

/** Replaces the body of an existing status comment at once (a final state, or a state no worker will update). */
export async function updateStatusComment(
  octokit: ProbotOctokit,
  comment: StatusCommentRef,
  body: string,
): Promise<{ id: number; html_url: string }> {
  const { owner, repo, commentId } = comment;
  const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body });
  return data;
}

/** Keeps a running task's status comment current, at most one edit per minIntervalMs (see createStatusUpdater). */
export function createStatusCommentUpdater(
  octokit: ProbotOctokit,
  comment: StatusCommentRef,
  options: { redact: (text: string) => string; minIntervalMs: number; log: Logger },
): StatusUpdater {
  return createStatusUpdater({
    ...options,
    publish: async (body) => {
      await updateStatusComment(octokit, comment, body);
    },
  });
}
