import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jobIdForTask, TASK_QUEUE_NAME } from "../../../src/queue/task-job.js";
import type { ScriptedReply } from "../../support/fake-model.js";
import { startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import { scenarioScript } from "../../support/scenario-script.js";
import { startRedisServer, type RedisServer } from "../../support/redis-server.js";
import type { TaskboxProcess } from "../../support/taskbox-process.js";
import { waitFor } from "../../support/taskbox-harness.js";

/** "slow" holds its first answer back, so that an outage falls into the agent phase. */
const SCRIPT = scenarioScript(
  new Map<string, ScriptedReply[]>([
    ["slow", [{ shell: "echo fixed > fix.txt", delayMs: 3000 }, { content: "Wrote fix.txt." }]],
    ["fast", [{ shell: "echo fixed > fix.txt" }, { content: "Wrote fix.txt." }]],
  ]),
);

/** One Taskbox process (web and worker) on a Redis of this file's own, stopped and started by the tests. */
describe("a Redis outage", () => {
  let redis: RedisServer;
  let rig: FaultRig;
  let taskbox: TaskboxProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    rig = await startFaultRig({ files: { "README.md": "# hello\n" }, script: SCRIPT, redisUrl: redis.url });
    taskbox = await rig.start("all", { TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS: "1000" });
  });
  afterEach(async () => {
    await redis.start(); // a failed test may have left it stopped
  });
  afterAll(async () => {
    await rig?.close();
    await redis?.close();
  });

  async function jobState(taskId: string): Promise<string> {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(TASK_QUEUE_NAME, { connection, prefix: rig.queuePrefix });
    try {
      return await queue.getJobState(jobIdForTask(taskId));
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }
  const opened = (issueNumber: number) =>
    waitFor("the task's pull request", () =>
      rig.statusComments(issueNumber).find((c) => c.body.includes("Pull request opened")),
    );

  it("during a task: web and worker reconnect by themselves, the job survives and the task ends with its pull request", async () => {
    expect((await rig.comment({ body: "/taskbox run scenario:slow now", issueNumber: 1 })).status_code).toBe(200);
    await waitFor("the agent phase", () => (rig.model.requests.length > 0 ? true : undefined));
    await redis.stop();
    // Down until Taskbox has noticed: its cancel channel (a connection of its own) loses Redis.
    await taskbox.waitForLog(/cancel channel connection error/);
    await redis.start();

    const status = await rig.finalStatus(1);
    expect(status.body).toContain("Pull request opened");
    expect(rig.statusComments(1)).toHaveLength(1);
    expect(await jobState(taskIdOf(status))).toBe("completed");
    expect(await rig.leftovers(taskIdOf(status))).toBe(0);

    // The web process took the outage in its stride too: a new request is served without a restart.
    expect((await rig.comment({ body: "/taskbox run scenario:fast now", issueNumber: 2 })).status_code).toBe(200);
    await opened(2);
  });

  it("answers a webhook with 503 while Redis is down, then gets it redelivered through the deliveries API", async () => {
    await redis.stop();
    const refused = await rig.comment({ body: "/taskbox run scenario:fast now", issueNumber: 3 });
    expect(refused.status_code).toBe(503);
    expect(rig.statusComments(3)).toHaveLength(0);

    await redis.start();
    const status = await opened(3);
    expect(rig.statusComments(3)).toHaveLength(1);
    expect(rig.github.pulls.filter((pull) => pull.head.startsWith("taskbox/3-"))).toHaveLength(1);
    const deliveries = rig.github.webhooks.deliveries.filter((d) => d.guid === refused.guid);
    expect(deliveries.map((d) => [d.redelivery, d.status_code])).toEqual([
      [false, 503],
      [true, 200],
    ]);
    expect(await rig.leftovers(taskIdOf(status))).toBe(0);
  });

  it("takes over the status comment a refused delivery already posted, instead of posting a second one", async () => {
    // Redis goes down exactly between posting the status comment and queueing the task.
    rig.github.injectFault({ method: "POST", path: /\/issues\/4\/comments$/, before: () => redis.stop() });

    const refused = await rig.comment({ body: "/taskbox run scenario:fast now", issueNumber: 4 });
    expect(refused.status_code).toBe(503);
    const [comment] = rig.statusComments(4);
    expect(comment?.body).toContain("could not queue the task");

    await redis.start();
    const status = await opened(4);
    expect(status.id).toBe(comment!.id);
    expect(
      status.edits.map((body) => /Queued|could not queue|Pull request opened/.exec(body)?.[0]).filter(Boolean),
    ).toEqual(["Queued", "could not queue", "Queued", "Pull request opened"]);
    expect(rig.statusComments(4)).toHaveLength(1);
    expect(rig.github.pulls.filter((pull) => pull.head.startsWith("taskbox/4-"))).toHaveLength(1);
  });
});
