import type { Logger } from "pino";
import { branchForTask, type TaskJobData } from "../queue/task-job.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import type { TaskDeps } from "../task/task-scope.js";
import { updateStatusComment } from "../github/status-comment.js";
import { takeOverTaskBranch } from "../github/task-branch.js";

/** BullMQ's reason for failing, without running it again, a job whose workers stopped more often than allowed. */
const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

export function isStalledTooOften(error: Error): boolean {
  return error.message === STALLED_TOO_OFTEN;
}

/**
 * Puts the status comment of a task that BullMQ gave up on into a final state. Its worker was killed or crashed
 * mid-task (more often than TASKBOX_MAX_STALLED_COUNT allows), so no attempt is left to do it, and the comment
 * still shows whatever the last attempt reported. A branch that attempt pushed without a pull request is deleted;
 * a pull request it opened is named. The sandbox it left is the orphan reaper's.
 */
export async function finishAbandonedTask(options: {
  job: TaskJobData;
  maxStalledCount: number;
  installation: TaskDeps["installation"];
  log: Logger;
}): Promise<void> {
  const { job, maxStalledCount } = options;
  const { octokit } = await options.installation(job.installationId);
  const branch = { owner: job.owner, repo: job.repo, branch: branchForTask(job.issue.number, job.taskId) };
  const pull = await takeOverTaskBranch(octokit, branch, options.log);
  const retried =
    maxStalledCount === 0
      ? "Taskbox does not run an interrupted task again (TASKBOX_MAX_STALLED_COUNT is 0)"
      : `it was run again ${maxStalledCount === 1 ? "once" : `${maxStalledCount} times`}, and was interrupted each time (TASKBOX_MAX_STALLED_COUNT)`;
  const status: TaskStatus = {
    taskId: job.taskId,
    state: "failed",
    requestedBy: job.requestedBy,
    timings: {},
    failure: {
      phase: "worker",
      message: `The worker running this task stopped (killed, crashed or restarted) before the task ended; ${retried}.${pull ? ` The interrupted run had opened [#${pull.number}](${pull.url}) already.` : ""} Comment again to start the task anew.`,
    },
  };
  await updateStatusComment(
    octokit,
    { owner: job.owner, repo: job.repo, commentId: job.statusCommentId },
    renderStatus(status),
  );
}
