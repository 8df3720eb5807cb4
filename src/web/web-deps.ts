import type { ConfigDefaults } from "../config/schema.js";
import type { TaskBoard } from "../queue/task-board.js";
import type { TaskQueue } from "../queue/task-queue.js";
import type { RateLimiter } from "./rate-limit.js";

/** What the intake step's handlers need; built once in main.ts (or a test). */
export interface WebDeps {
  queue: TaskQueue;
  /** Task records and thread lines, shared with the workers. */
  board: TaskBoard;
  configDefaults: ConfigDefaults;
  /** Per-user and per-installation limits on task starts; none when absent. */
  rateLimiter?: RateLimiter;
  /** Longest request accepted (TASKBOX_MAX_REQUEST_CHARS); a default when absent. */
  maxRequestChars?: number;
}
