import type { TokenUsage } from "../agent/token-usage.js";

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
  | "failed";

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
  failure?: { phase: PhaseName | "queue"; message: string; logTail?: string };
  /** Extra facts for the maintainer, e.g. what automatic setup detected. */
  notes?: string[];
}
