import type { TaskBoard } from "../queue/task-board.js";
import { jobIdForTask } from "../queue/task-job.js";
import { isFinished, type TaskRecord } from "../queue/task-record.js";
import type { TaskQueue } from "../queue/task-queue.js";

const OPEN_STATES = ["active", "waiting", "delayed", "prioritized", "waiting-children"] as const;
const REQUEST_CHARS = 60;

export interface TaskStores {
  queue: TaskQueue;
  board: TaskBoard;
}

/** One line per queued or running task: id, queue state, thread, requester, age and the start of the request. */
export async function listTasks({ queue, board }: TaskStores, now = Date.now()): Promise<string[]> {
  const jobs = await queue.getJobs([...OPEN_STATES]);
  const lines: string[] = [];
  for (const job of jobs) {
    const record = await board.get(job.data.taskId);
    const state = await job.getState();
    const request = (record?.request ?? "").replace(/\s+/g, " ");
    lines.push(
      [
        job.data.taskId,
        record?.state ?? state,
        `${job.data.owner}/${job.data.repo}#${job.data.issue.number}`,
        `@${job.data.requestedBy}`,
        `${Math.round((now - job.data.enqueuedAt) / 60_000)}m ago`,
        request.length > REQUEST_CHARS ? `${request.slice(0, REQUEST_CHARS - 1)}…` : request,
      ].join("  "),
    );
  }
  return lines.length > 0 ? lines : ["no queued or running tasks"];
}

/** The task's record (what `/taskbox status` reads) and its job's state. */
export async function showTask({ queue, board }: TaskStores, taskId: string): Promise<string[]> {
  const record = await board.get(taskId);
  if (!record) throw new Error(`no task ${taskId} (records are kept for 30 days)`);
  const job = await queue.getJob(jobIdForTask(taskId));
  return [...describeRecord(record), `job: ${job ? await job.getState() : "gone"}`];
}

function describeRecord(record: TaskRecord): string[] {
  const time = (ms: number | undefined) => (ms === undefined ? "–" : new Date(ms).toISOString());
  return [
    `task: ${record.taskId}`,
    `state: ${record.state}`,
    `thread: ${record.repository}#${record.thread.number} (${record.thread.kind}, ${record.trigger})`,
    `requested by: @${record.requestedBy}`,
    `queued: ${time(record.createdAt)}  started: ${time(record.startedAt)}  finished: ${time(record.finishedAt)}`,
    ...(record.statusCommentUrl ? [`status comment: ${record.statusCommentUrl}`] : []),
    ...(record.pullRequest ? [`pull request: ${record.pullRequest.url}`] : []),
    ...(record.failure ? [`failure (${record.failure.phase}): ${record.failure.message}`] : []),
    ...(record.cancelledBy ? [`cancelled by: @${record.cancelledBy}`] : []),
    `request: ${record.request}`,
  ];
}

/**
 * Cancels a task as `/taskbox cancel` does for its worker: the worker running it aborts it, and a queued one ends as
 * cancelled when a worker picks it up. Either way its status comment says who cancelled it.
 */
export async function cancelTaskFromCli({ board }: TaskStores, taskId: string, by: string): Promise<string> {
  const record = await board.get(taskId);
  if (!record) throw new Error(`no task ${taskId} (records are kept for 30 days)`);
  if (isFinished(record)) {
    return `task ${taskId} has already ended (${record.state})`;
  }
  await board.requestCancel({ taskId, by });
  return `asked the workers to cancel ${taskId}; its status comment will say "Cancelled by @${by}"`;
}
