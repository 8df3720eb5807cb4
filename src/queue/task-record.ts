import type { PhaseName, TaskState, TaskStatus } from "../report/task-status.js";
import type { TaskContext, TaskJobData, ThreadKind } from "./task-job.js";

const SUMMARY_CHARS = 8_000;
const MESSAGE_CHARS = 2_000;

export type TaskTriggerKind = TaskJobData["trigger"]["kind"];

/**
 * What Taskbox remembers about a task after its job is gone: enough for `/taskbox status`, `/taskbox retry` and
 * the prompts of later follow-ups. Never a token or secret value (summaries and failures are stored redacted).
 */
export interface TaskRecord {
  taskId: string;
  /** "owner/repo" */
  repository: string;
  thread: { kind: ThreadKind; number: number };
  trigger: TaskTriggerKind;
  request: string;
  context?: TaskContext;
  requestedBy: string;
  retryOf?: string;
  state: TaskState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  statusCommentId: number;
  statusCommentUrl?: string;
  timings?: Partial<Record<PhaseName, number>>;
  totalTokens?: number;
  pullRequest?: { number: number; url: string };
  commitSha?: string;
  summary?: string;
  failure?: { phase: string; message: string };
  cancelledBy?: string;
}

/** The record of a task as it is queued: one mapping from its job, so that the two never disagree. */
export function newTaskRecord(job: TaskJobData, statusCommentUrl: string | undefined): TaskRecord {
  return {
    taskId: job.taskId,
    repository: `${job.owner}/${job.repo}`,
    thread: { kind: job.thread, number: job.issue.number },
    trigger: job.trigger.kind,
    request: job.request,
    context: job.context,
    requestedBy: job.requestedBy,
    retryOf: job.trigger.kind === "retry" ? job.trigger.retryOf : undefined,
    state: "queued",
    createdAt: job.enqueuedAt,
    statusCommentId: job.statusCommentId,
    statusCommentUrl,
  };
}

// Listed the other way round, any state added later (an environment check's "ready") counts as final.
const UNFINISHED_STATES: ReadonlySet<TaskState> = new Set(["queued", "preparing", "running", "publishing"]);

export function isFinished(record: Pick<TaskRecord, "state">): boolean {
  return !UNFINISHED_STATES.has(record.state);
}

/** The part of a finished task's status a record keeps; `redact` hides secrets in the free text. */
export function recordOfStatus(status: TaskStatus, redact: (text: string) => string, now: number): Partial<TaskRecord> {
  return {
    state: status.state,
    finishedAt: now,
    timings: status.timings,
    totalTokens: status.usage?.totalTokens,
    pullRequest:
      status.pullRequest ?? (status.followUp && { number: status.followUp.number, url: status.followUp.url }),
    commitSha: status.commitSha,
    summary: status.summary === undefined ? undefined : redact(status.summary).slice(0, SUMMARY_CHARS),
    failure: status.failure && {
      phase: status.failure.phase,
      message: redact(status.failure.message).slice(0, MESSAGE_CHARS),
    },
    cancelledBy: status.cancelledBy,
  };
}
