import type { CancelRequest, TaskBoard, ThreadRef } from "../../src/queue/task-board.js";
import type { TaskRecord } from "../../src/queue/task-record.js";

export interface MemoryTaskBoard extends TaskBoard {
  records: Map<string, TaskRecord>;
  /** Every cancel request, in order, as workers would have heard them. */
  cancels: CancelRequest[];
}

/** The TaskBoard contract in memory, for offline tests of the web handlers; Redis' version is tested for real. */
export function createMemoryTaskBoard(): MemoryTaskBoard {
  const records = new Map<string, TaskRecord>();
  const histories = new Map<string, string[]>();
  const pulls = new Map<string, string[]>();
  const lines = new Map<string, string[]>();
  const running = new Map<string, Set<string>>();
  const waiting = new Map<string, Map<string, number>>();
  const cancelFlags = new Map<string, string>();
  const cancels: CancelRequest[] = [];
  const key = (thread: ThreadRef) => `${thread.repository}#${thread.number}`;
  const list = <T>(map: Map<string, T[]>, name: string) => map.get(name) ?? map.set(name, []).get(name)!;
  const slots = (repository: string) => running.get(repository) ?? running.set(repository, new Set()).get(repository)!;
  const waiters = (repository: string) =>
    waiting.get(repository) ?? waiting.set(repository, new Map()).get(repository)!;
  const byTime = (ids: string[]) =>
    ids.flatMap((id) => (records.has(id) ? [records.get(id)!] : [])).sort((a, b) => a.createdAt - b.createdAt);

  function decide(thread: ThreadRef, taskId: string, cap: number, claim: boolean) {
    const line = list(lines, key(thread));
    if (line.length > 0 && line[0] !== taskId && line.includes(taskId)) {
      return { ok: false as const, reason: "thread" as const, blockedBy: line[0]! };
    }
    const taken = slots(thread.repository);
    if (!taken.has(taskId) && taken.size >= cap)
      return { ok: false as const, reason: "repository" as const, running: [...taken] };
    if (claim) {
      taken.add(taskId);
      waiters(thread.repository).delete(taskId);
    }
    return { ok: true as const };
  }

  return {
    records,
    cancels,
    cancelChannel: "memory:cancel",
    async add(record) {
      records.set(record.taskId, structuredClone(record));
      const thread = { repository: record.repository, number: record.thread.number };
      list(histories, key(thread)).push(record.taskId);
      const line = list(lines, key(thread)).filter((id) => id !== record.taskId);
      lines.set(key(thread), [...line, record.taskId]);
      return line;
    },
    async get(taskId) {
      return structuredClone(records.get(taskId));
    },
    async update(taskId, changes) {
      const current = records.get(taskId);
      if (!current) return undefined;
      const next = { ...current, ...changes };
      records.set(taskId, next);
      return structuredClone(next);
    },
    async history(thread, limit = 10) {
      return byTime(list(histories, key(thread)))
        .reverse()
        .slice(0, limit);
    },
    async pullHistory(pull) {
      return byTime(list(pulls, key(pull)));
    },
    async addToPull(pull, record) {
      const ids = list(pulls, key(pull));
      if (!ids.includes(record.taskId)) ids.push(record.taskId);
    },
    async line(thread) {
      return [...list(lines, key(thread))];
    },
    async leave(thread, taskId) {
      lines.set(
        key(thread),
        list(lines, key(thread)).filter((id) => id !== taskId),
      );
      slots(thread.repository).delete(taskId);
      waiters(thread.repository).delete(taskId);
      const nextInRepository = [...waiters(thread.repository)].sort((a, b) => a[1] - b[1])[0]?.[0];
      return { nextInThread: list(lines, key(thread))[0], nextInRepository };
    },
    async releaseSlot(repository, taskId) {
      slots(repository).delete(taskId);
    },
    tryStart: async (thread, taskId, cap) => decide(thread, taskId, cap, true),
    couldStart: async (thread, taskId, cap) => decide(thread, taskId, cap, false).ok,
    async waitForSlot(thread, taskId, since) {
      if (waiters(thread.repository).has(taskId)) return false;
      waiters(thread.repository).set(taskId, since);
      return true;
    },
    async requestCancel(request) {
      cancelFlags.set(request.taskId, request.by);
      cancels.push(request);
    },
    async cancelRequestOf(taskId) {
      return cancelFlags.get(taskId);
    },
  };
}
