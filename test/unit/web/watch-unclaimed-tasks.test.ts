import type { Job } from "bullmq";
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { GitHubClient } from "../../../src/github/client.js";
import type { TaskJobData } from "../../../src/queue/task-job.js";
import type { TaskQueue } from "../../../src/queue/task-queue.js";
import { watchUnclaimedTasks } from "../../../src/web/watch-unclaimed-tasks.js";

const NOW = Date.parse("2024-05-01T12:00:00Z");

function job(taskId: string, enqueuedAt: number, state = "waiting"): Job<TaskJobData> {
  const data = {
    taskId,
    owner: "octo",
    repo: "hello",
    installationId: 1,
    statusCommentId: 9,
    requestedBy: "me",
    enqueuedAt,
  };
  return { data, getState: async () => state } as unknown as Job<TaskJobData>;
}

describe("watchUnclaimedTasks", () => {
  it("says once on a task that no worker took for over a minute, and leaves younger tasks alone", async () => {
    const edits: Array<{ comment_id: number; body: string }> = [];
    const octokit = {
      rest: {
        issues: { updateComment: async (edit: { comment_id: number; body: string }) => ({ data: edits.push(edit) }) },
      },
    } as unknown as GitHubClient;
    const seen = new Set<string>();
    const redis = {
      set: async (key: string) => (seen.has(key) ? null : (seen.add(key), "OK")),
    };
    const jobs = [job("old", NOW - 61_000), job("young", NOW - 5_000), job("taken", NOW - 90_000, "active")];
    let rounds = 0;
    let done!: () => void;
    const threeRounds = new Promise<void>((resolve) => (done = resolve));
    const watcher = watchUnclaimedTasks({
      queue: {
        // Three rounds: the task is told about once, however often the watcher looks.
        getJobs: async () => {
          if (++rounds === 3) done();
          return jobs;
        },
      } as unknown as TaskQueue,
      redis: redis as never,
      prefix: "p",
      installationOctokit: async () => octokit,
      intervalMs: 1,
      log: pino({ level: "silent" }),
      now: () => NOW,
    });
    await threeRounds;
    await watcher.stop();
    expect(edits).toHaveLength(1);
    expect(edits[0]?.comment_id).toBe(9);
    expect(edits[0]?.body).toContain("No worker has taken this task for over");
  });
});
