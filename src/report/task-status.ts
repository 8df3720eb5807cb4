import type { TokenUsage } from "./token-usage.js";

/** The phases whose durations a task reports, in the order they run. */
export const PHASES = ["checkout", "setup", "agent", "publish"] as const;
export type PhaseName = (typeof PHASES)[number];

export type TaskState =
  | "queued" // accepted, waiting for a worker
  | "preparing" // checkout and environment setup
  | "running" // agent loop
  | "publishing" // commit, push, pull request
  | "succeeded" // a pull request holds the change
  | "answered" // the agent changed nothing; its reply is the answer
  | "cancelled" // stopped by `/taskbox cancel`; nothing was pushed
  | "ready" // `/taskbox env`: the environment was prepared, no agent ran
  | "failed";

/** How the task's sandbox was prepared; `/taskbox env` reports exactly this. */
export interface EnvironmentReport {
  /** hit: a cached environment was resumed; miss: a fresh setup, then cached; off: no setup, so nothing to cache. */
  cache: "hit" | "miss" | "off";
  /** Why a miss was one, e.g. "the setup script changed". */
  missReason?: string;
  /** On a hit: how old the resumed environment was. */
  cacheAgeMs?: number;
  /** What the environment phase did, in order, with durations (some overlap the checkout). */
  steps: Array<{ name: string; ms: number }>;
  /** The end of the setup or maintenance script's output, redacted. */
  logTail?: string;
}

/** Everything the status comment shows; rendering is a pure function of this. */
export interface TaskStatus {
  taskId: string;
  state: TaskState;
  requestedBy: string;
  turn?: number;
  lastCommand?: string;
  timings: Partial<Record<PhaseName, number>>;
  usage?: TokenUsage;
  pullRequest?: { number: number; url: string };
  /** The agent's final message: the PR summary when succeeded, the answer when answered. */
  summary?: string;
  /** phase "worker": the worker running the task stopped (killed, crashed) and the task was not run again. */
  failure?: { phase: PhaseName | "queue" | "worker"; message: string; logTail?: string };
  /** A follow-up adds a commit to this existing pull request instead of opening one. */
  followUp?: { number: number; url: string; branch: string };
  /** The commit a follow-up pushed. */
  commitSha?: string;
  cancelledBy?: string;
  environment?: EnvironmentReport;
  /** Extra facts for the maintainer, e.g. what automatic setup detected. */
  notes?: string[];
  /** The task's page ("View the task log"); absent when task pages are off. */
  pageUrl?: string;
  /** agent.max_turns, for "turn N of M". */
  maxTurns?: number;
  /** When a worker started the task and when it ended (ms since the epoch), for the elapsed time and the duration. */
  startedAt?: number;
  finishedAt?: number;
  /** The `git diff --stat` of the change a pull request holds. */
  diffstat?: string;
  /** Why a queued task waits. */
  queuedReason?: QueuedReason;
  /** TASKBOX_CONFIG_DOCS_URL: the failure's next step links there. */
  configDocsUrl?: string;
}

/**
 * Why a queued task waits, beyond another task of its thread (the web process notes that one when it queues the task):
 * the repository's concurrency cap is reached, or no worker took it for over a minute.
 */
export type QueuedReason = { kind: "repository"; cap: number } | { kind: "worker" };
