import { createHash } from "node:crypto";
import { z } from "zod";
import type { RepoConfig } from "../config/schema.js";

export const TASK_QUEUE_NAME = "tasks";
export const TASK_JOB_NAME = "task";
/**
 * The version of the job shape below. Raise it with any change a worker of the old version would misread; a worker
 * that meets a version it does not know fails that task with a status comment that says so (process-task-job.ts).
 */
export const TASK_JOB_VERSION = 1;

const quotedComment = z.object({
  author: z.string(),
  /** Its author has write access. */
  trusted: z.boolean(),
  body: z.string(),
  createdAt: z.string(),
});

const taskContext = z.object({
  comments: z.array(quotedComment),
  /** An open review thread's first comment, with where it points. */
  reviewComments: z.array(
    quotedComment.extend({
      path: z.string(),
      line: z.number().nullable(),
      outdated: z.boolean(),
      replies: z.array(quotedComment),
    }),
  ),
});

const taskTrigger = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("comment") }),
  z.object({ kind: z.literal("label"), label: z.string() }), // the worker removes the label when the task ends
  z.object({ kind: z.literal("retry"), retryOf: z.string() }),
]);

const earlierTask = z.object({
  taskId: z.string(),
  requestedBy: z.string(),
  request: z.string(),
  state: z.string(),
  summary: z.string().optional(),
});

/**
 * A queued task: what the worker reads, as ids and the trusted request, built once by the intake step and checked
 * here once when a worker takes it. Never a token or a secret value: job data sits in Redis, readable by anyone with
 * access to it; secrets are looked up by name in the worker.
 */
export const taskJobSchema = z.object({
  version: z.literal(TASK_JOB_VERSION),
  taskId: z.string().min(1),
  installationId: z.number().int(),
  owner: z.string(),
  repo: z.string(),
  defaultBranch: z.string(),
  /** The issue or pull request the task belongs to (a pull request is an issue to GitHub's issues API). */
  issue: z.object({
    number: z.number().int(),
    title: z.string(),
    body: z.string().nullable(),
    author: z.string(),
    authorTrusted: z.boolean(),
  }),
  statusCommentId: z.number().int(),
  requestedBy: z.string(),
  request: z.string(),
  /** The repository's configuration as the intake step loaded and checked it (config/schema.ts). */
  config: z.custom<RepoConfig>((value) => typeof value === "object" && value !== null),
  enqueuedAt: z.number(),
  /** "pull": the issue is a pull request, and the task is a follow-up on it. */
  thread: z.enum(["issue", "pull"]),
  trigger: taskTrigger,
  /** `env-check` (`/taskbox env`): prepare the environment and report, without an agent. Absent means a task. */
  kind: z.literal("env-check").optional(),
  /** Comments a label-triggered task quotes in its prompt. */
  context: taskContext.optional(),
  /** Filled in by the worker when the task starts, from the tasks that ran before it on the thread; never queued. */
  followUp: z.object({ pullNumber: z.number().int().optional(), earlierTasks: z.array(earlierTask) }).optional(),
});

export type TaskJobData = z.infer<typeof taskJobSchema>;
export type ThreadKind = TaskJobData["thread"];
export type TaskTrigger = TaskJobData["trigger"];
export type TaskContext = z.infer<typeof taskContext>;
/** A comment quoted in a prompt. */
export type QuotedComment = z.infer<typeof quotedComment>;
export type QuotedReviewComment = TaskContext["reviewComments"][number];
/** What an earlier task on the same pull request did, for the follow-up's prompt. */
export type EarlierTask = z.infer<typeof earlierTask>;
export type FollowUpHint = NonNullable<TaskJobData["followUp"]>;

/** The version a job says it has, read before anything else about it. */
export function versionOfJob(data: unknown): unknown {
  return typeof data === "object" && data !== null ? (data as { version?: unknown }).version : undefined;
}

/** Stable per webhook delivery, so a redelivered webhook maps to the same task. */
export function taskIdForDelivery(deliveryId: string): string {
  return createHash("sha256").update(deliveryId).digest("hex").slice(0, 12);
}

// BullMQ rejects custom ids with ":" or that look like integers; the prefix rules out both.
export function jobIdForTask(taskId: string): string {
  return `task-${taskId}`;
}

export function branchForTask(issueNumber: number, taskId: string): string {
  return `taskbox/${issueNumber}-${taskId.slice(0, 8)}`;
}
