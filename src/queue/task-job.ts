import { createHash } from "node:crypto";
import type { RepoConfig } from "../config/schema.js";

export const TASK_QUEUE_NAME = "tasks";
export const TASK_JOB_NAME = "task";

/**
 * What a task needs, as ids and the trusted request. Never a token or a secret value: job data sits in Redis,
 * readable by anyone with access to it. Secrets are looked up by name in the worker.
 */
export interface TaskJobData {
  taskId: string;
  deliveryId: string;
  installationId: number;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** The issue or pull request the task belongs to (a pull request is an issue to GitHub's issues API). */
  issue: { number: number; title: string; body: string | null; author: string; authorTrusted: boolean };
  /** The comment that asked; absent for label and retry tasks. */
  commentId?: number;
  statusCommentId: number;
  requestedBy: string;
  request: string;
  config: RepoConfig;
  enqueuedAt: number;
  /** Whether `issue` is a pull request: then the task is a follow-up on it. Absent means an issue. */
  thread?: ThreadKind;
  /** Absent means a `/taskbox` comment. */
  trigger?: TaskTrigger;
  /** `env-check` (`/taskbox env`): prepare the environment and report, without an agent. Absent means a task. */
  kind?: "env-check";
  /** Comments a label-triggered task quotes in its prompt. */
  context?: TaskContext;
  /** Filled in by the worker when the task starts, from the tasks that ran before it on the thread. */
  followUp?: FollowUpHint;
}

export type ThreadKind = "issue" | "pull";

export type TaskTrigger =
  | { kind: "comment" }
  | { kind: "label"; label: string } // the worker removes the label when the task ends
  | { kind: "retry"; retryOf: string };

/** A comment quoted in a prompt; `trusted` means its author has write access. */
export interface QuotedComment {
  author: string;
  trusted: boolean;
  body: string;
  createdAt: string;
}

/** An open review thread's first comment, with where it points. */
export interface QuotedReviewComment extends QuotedComment {
  path: string;
  line: number | null;
  outdated: boolean;
  replies: QuotedComment[];
}

export interface TaskContext {
  comments: QuotedComment[];
  reviewComments: QuotedReviewComment[];
}

/** What an earlier task on the same pull request did, for the follow-up's prompt. */
export interface EarlierTask {
  taskId: string;
  requestedBy: string;
  request: string;
  state: string;
  summary?: string;
}

export interface FollowUpHint {
  /** An issue task continues on the open pull request an earlier task of the issue opened. */
  pullNumber?: number;
  earlierTasks: EarlierTask[];
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
