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
  issue: { number: number; title: string; body: string | null; author: string; authorTrusted: boolean };
  commentId: number;
  statusCommentId: number;
  requestedBy: string;
  request: string;
  config: RepoConfig;
  enqueuedAt: number;
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
