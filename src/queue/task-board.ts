import type { Redis } from "ioredis";
import type { TaskRecord } from "./task-record.js";

const RECORD_TTL_S = 30 * 24 * 3600;
const CANCEL_TTL_S = 24 * 3600;
const HISTORY_LENGTH = 100;

export interface ThreadRef {
  /** "owner/repo" */
  repository: string;
  number: number;
}

/** Why a task may not start yet, or that it may. */
export type StartDecision =
  | { ok: true }
  | { ok: false; reason: "thread"; blockedBy: string }
  | { ok: false; reason: "repository"; running: string[] };

export interface CancelRequest {
  taskId: string;
  by: string;
}

/**
 * Task records and the per-thread line, as the web process and the workers share them in Redis.
 *
 * Every task waits in its thread's line (an issue or pull request): only the task at the head of the line runs, so
 * tasks of one thread run one at a time and in order. Independently, at most `cap` tasks of one repository run at
 * once across all workers. Records live for 30 days after their last change.
 */
export interface TaskBoard {
  /** Saves a new task's record and puts it at the end of its thread's line; returns the tasks ahead of it. */
  add(record: TaskRecord): Promise<string[]>;
  get(taskId: string): Promise<TaskRecord | undefined>;
  /** Merges `changes` into a record; a record that has expired stays gone. */
  update(taskId: string, changes: Partial<TaskRecord>): Promise<TaskRecord | undefined>;
  /** The thread's tasks, newest first. */
  history(thread: ThreadRef, limit?: number): Promise<TaskRecord[]>;
  /** The tasks that opened or pushed to a pull request, oldest first. */
  pullHistory(pull: ThreadRef): Promise<TaskRecord[]>;
  /** Remembers that a task opened or pushed to a pull request. */
  addToPull(pull: ThreadRef, record: TaskRecord): Promise<void>;
  /** The thread's queued and running tasks, in the order they run. */
  line(thread: ThreadRef): Promise<string[]>;
  /** Takes a task out of its thread's line (and the repository's slots); returns the new head of the line. */
  leave(thread: ThreadRef, taskId: string): Promise<{ nextInThread?: string; nextInRepository?: string }>;
  /** Frees a repository slot held by a task that no longer runs (its worker died), leaving its place in line. */
  releaseSlot(repository: string, taskId: string): Promise<void>;
  /** Claims a repository slot for the head of a thread's line. Claiming again is harmless. */
  tryStart(thread: ThreadRef, taskId: string, cap: number): Promise<StartDecision>;
  /** Whether tryStart would succeed now, without claiming anything. */
  couldStart(thread: ThreadRef, taskId: string, cap: number): Promise<boolean>;
  /**
   * Marks a task as waiting for a repository slot, so the next freed slot goes to the longest-waiting task; true the
   * first time (its status comment then says why it waits).
   */
  waitForSlot(thread: ThreadRef, taskId: string, since: number): Promise<boolean>;
  /** Records who cancelled a task and tells every worker. */
  requestCancel(request: CancelRequest): Promise<void>;
  /** Who asked to cancel a task, if anyone did. */
  cancelRequestOf(taskId: string): Promise<string | undefined>;
  /** The pub/sub channel cancel requests are announced on. */
  readonly cancelChannel: string;
}

// The head of the line may run when it can claim a repository slot. A task that is not in its line at all (its entry
// was dropped as stale) is not held back by the line.
const TRY_START = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head and head ~= ARGV[1] and redis.call('LPOS', KEYS[1], ARGV[1]) then
  return {'thread', head}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
    return {'repository', ''}
  end
  if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) end
end
if ARGV[3] == '1' then redis.call('ZREM', KEYS[3], ARGV[1]) end
return {'ok', ''}
`;

const LEAVE = `
redis.call('LREM', KEYS[1], 0, ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local nextInThread = redis.call('LINDEX', KEYS[1], 0)
local waiting = redis.call('ZRANGE', KEYS[3], 0, 0)
return {nextInThread or '', waiting[1] or ''}
`;

type BoardKeys = ReturnType<typeof boardKeys>;

function boardKeys(prefix: string) {
  const base = `${prefix}:taskbox`;
  return {
    base,
    record: (taskId: string) => `${base}:task:${taskId}`,
    history: (thread: ThreadRef) => `${base}:thread:${thread.repository}#${thread.number}`,
    pull: (pull: ThreadRef) => `${base}:pull:${pull.repository}#${pull.number}`,
    line: (thread: ThreadRef) => `${base}:line:${thread.repository}#${thread.number}`,
    running: (repository: string) => `${base}:running:${repository}`,
    waiting: (repository: string) => `${base}:waiting:${repository}`,
    cancel: (taskId: string) => `${base}:cancel:${taskId}`,
    /** The keys a task's turn depends on, as TRY_START and LEAVE take them. */
    gate: (thread: ThreadRef) => [
      `${base}:line:${thread.repository}#${thread.number}`,
      `${base}:running:${thread.repository}`,
      `${base}:waiting:${thread.repository}`,
    ],
  };
}

/** Task records, and the thread and pull request histories that index them. */
function recordsOf(redis: Redis, keys: BoardKeys) {
  async function records(taskIds: string[]): Promise<TaskRecord[]> {
    if (taskIds.length === 0) return [];
    const values = await redis.mget(taskIds.map(keys.record));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as TaskRecord]));
  }
  async function index(key: string, record: TaskRecord): Promise<void> {
    await redis
      .multi()
      .zadd(key, record.createdAt, record.taskId)
      .zremrangebyrank(key, 0, -HISTORY_LENGTH - 1)
      .expire(key, RECORD_TTL_S)
      .exec();
  }
  return {
    index,
    methods: {
      async get(taskId: string) {
        return (await records([taskId]))[0];
      },
      async update(taskId: string, changes: Partial<TaskRecord>) {
        const current = (await records([taskId]))[0];
        if (!current) return undefined;
        const next = { ...current, ...changes };
        await redis.set(keys.record(taskId), JSON.stringify(next), "EX", RECORD_TTL_S);
        return next;
      },
      async history(thread: ThreadRef, limit = 10) {
        return records(await redis.zrevrange(keys.history(thread), 0, limit - 1));
      },
      async pullHistory(pull: ThreadRef) {
        return records(await redis.zrange(keys.pull(pull), "0", "-1"));
      },
      async addToPull(pull: ThreadRef, record: TaskRecord) {
        await index(keys.pull(pull), record);
      },
    } satisfies Partial<TaskBoard>,
  };
}

/** Thread lines and repository slots: whose turn it is. */
function turnsOf(redis: Redis, keys: BoardKeys) {
  async function gate(thread: ThreadRef, taskId: string, cap: number, claim: boolean): Promise<StartDecision> {
    const [outcome, head] = (await redis.eval(
      TRY_START,
      3,
      ...keys.gate(thread),
      taskId,
      String(cap),
      claim ? "1" : "0",
    )) as [string, string];
    if (outcome === "ok") return { ok: true };
    if (outcome === "thread") return { ok: false, reason: "thread", blockedBy: head };
    return { ok: false, reason: "repository", running: await redis.smembers(keys.running(thread.repository)) };
  }
  return {
    async line(thread: ThreadRef) {
      return redis.lrange(keys.line(thread), 0, -1);
    },
    async leave(thread: ThreadRef, taskId: string) {
      const [nextInThread, nextInRepository] = (await redis.eval(LEAVE, 3, ...keys.gate(thread), taskId)) as [
        string,
        string,
      ];
      return { nextInThread: nextInThread || undefined, nextInRepository: nextInRepository || undefined };
    },
    async releaseSlot(repository: string, taskId: string) {
      await redis.srem(keys.running(repository), taskId);
    },
    tryStart: (thread: ThreadRef, taskId: string, cap: number) => gate(thread, taskId, cap, true),
    async couldStart(thread: ThreadRef, taskId: string, cap: number) {
      return (await gate(thread, taskId, cap, false)).ok;
    },
    async waitForSlot(thread: ThreadRef, taskId: string, since: number) {
      return (await redis.zadd(keys.waiting(thread.repository), "NX", String(since), taskId)) === 1;
    },
  } satisfies Partial<TaskBoard>;
}

export function createTaskBoard(redis: Redis, prefix: string): TaskBoard {
  const keys = boardKeys(prefix);
  const { index, methods } = recordsOf(redis, keys);
  return {
    cancelChannel: `${keys.base}:cancel`,
    ...methods,
    ...turnsOf(redis, keys),

    /** Records the task and puts it at the end of its thread's line; returns the tasks ahead of it. */
    async add(record) {
      const thread = { repository: record.repository, number: record.thread.number };
      await redis
        .multi()
        .set(keys.record(record.taskId), JSON.stringify(record), "EX", RECORD_TTL_S)
        .lrem(keys.line(thread), 0, record.taskId)
        .rpush(keys.line(thread), record.taskId)
        .exec();
      await index(keys.history(thread), record);
      const line = await redis.lrange(keys.line(thread), 0, -1);
      return line.slice(0, line.indexOf(record.taskId));
    },

    async requestCancel(request) {
      await redis.set(keys.cancel(request.taskId), request.by, "EX", CANCEL_TTL_S);
      await redis.publish(`${keys.base}:cancel`, JSON.stringify(request));
    },

    async cancelRequestOf(taskId) {
      return (await redis.get(keys.cancel(taskId))) ?? undefined;
    },
  };
}
