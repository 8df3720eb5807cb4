import type { GitHubClient } from "./client.js";
import type { TaskJobData } from "../queue/task-job.js";
import { renderStatus } from "../report/render-status.js";
import type { QueuedReason } from "../report/task-status.js";
import { updateStatusComment } from "./status-comment.js";

/** Rewrites a queued task's status comment to say why it still waits. */
export async function showQueuedReason(octokit: GitHubClient, job: TaskJobData, reason: QueuedReason): Promise<void> {
  const body = renderStatus({
    taskId: job.taskId,
    state: "queued",
    requestedBy: job.requestedBy,
    timings: {},
    queuedReason: reason,
  });
  await updateStatusComment(octokit, { owner: job.owner, repo: job.repo, commentId: job.statusCommentId }, body);
}
