import type { Logger } from "pino";
import { z } from "zod";
import { updateStatusComment } from "../github/status-comment.js";
import type { TaskBoard } from "../queue/task-board.js";
import { TASK_JOB_VERSION, taskJobSchema, versionOfJob, type TaskJobData } from "../queue/task-job.js";
import { renderStatus } from "../report/render-status.js";
import type { TaskStatus } from "../report/task-status.js";
import type { TaskDeps } from "../task/task-scope.js";

/** What every job version has carried: enough to find the task's status comment and its thread. */
const jobAddress = z.object({
  taskId: z.string(),
  installationId: z.number(),
  owner: z.string(),
  repo: z.string(),
  statusCommentId: z.number(),
  requestedBy: z.string().default("ghost"),
  issue: z.object({ number: z.number() }).optional(),
});

export type ReadTaskJob = { ok: true; job: TaskJobData } | { ok: false; problem: string };

/** Checks a job taken from the queue, once: its version first, then its whole shape. */
export function readTaskJob(data: unknown): ReadTaskJob {
  const version = versionOfJob(data);
  if (version !== TASK_JOB_VERSION) {
    const queuedAs = version === undefined ? "without a job version" : `as job version ${JSON.stringify(version)}`;
    return { ok: false, problem: `it was queued ${queuedAs}, and this worker reads version ${TASK_JOB_VERSION} only` };
  }
  const parsed = taskJobSchema.safeParse(data);
  if (parsed.success) return { ok: true, job: parsed.data };
  return {
    ok: false,
    problem: `its job data is not what version ${TASK_JOB_VERSION} holds: ${z.prettifyError(parsed.error)}`,
  };
}

/**
 * Ends a task this worker cannot read, instead of crashing on it: its status comment says why, and its thread's
 * line moves on. Returns undefined when the job does not even say where its status comment is (then it is logged).
 */
export async function failUnreadableJob(
  data: unknown,
  problem: string,
  options: { installation: TaskDeps["installation"]; board: TaskBoard; log: Logger },
): Promise<TaskStatus | undefined> {
  const address = jobAddress.safeParse(data);
  options.log.error({ problem, taskId: address.data?.taskId }, "cannot read a task job");
  if (!address.success) return undefined;
  const { taskId, owner, repo, statusCommentId, requestedBy, issue } = address.data;
  const status: TaskStatus = {
    taskId,
    state: "failed",
    requestedBy,
    timings: {},
    failure: {
      phase: "worker",
      message:
        `The worker that took this task cannot read it: ${problem}. This happens while Taskbox processes of ` +
        "different versions share one queue, during an upgrade. Comment again once every process runs the same version.",
    },
  };
  const { octokit } = await options.installation(address.data.installationId);
  await updateStatusComment(octokit, { owner, repo, commentId: statusCommentId }, renderStatus(status));
  await options.board.update(taskId, { state: "failed", failure: status.failure, finishedAt: Date.now() });
  if (issue) await options.board.leave({ repository: `${owner}/${repo}`, number: issue.number }, taskId);
  return status;
}
