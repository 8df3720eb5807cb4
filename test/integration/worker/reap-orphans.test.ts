import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import Docker from "dockerode";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTaskQueue, type TaskQueue } from "../../../src/queue/task-queue.js";
import { jobIdForTask, TASK_JOB_NAME, TASK_QUEUE_NAME } from "../../../src/queue/task-job.js";
import { removeSandboxResources } from "../../../src/sandbox/remove-sandbox-resources.js";
import { MANAGED_LABEL, TASK_LABEL } from "../../../src/sandbox/types.js";
import { QUEUE_LABEL, reapOrphans } from "../../../src/worker/reap-orphans.js";
import { waitFor } from "../../support/taskbox-harness.js";

const docker = new Docker();
const log = pino({ level: "silent" });

describe("reapOrphans", () => {
  const prefix = `reap-${randomUUID().slice(0, 8)}`;
  const otherPrefix = `${prefix}-other`;
  let connection: Redis;
  let queue: TaskQueue;
  let worker: Worker;
  let release: () => void;
  let workDir: string;
  const created = { containers: [] as string[], networks: [] as string[] };

  async function sandboxOf(taskId: string, queuePrefix: string | undefined) {
    const labels: Record<string, string> = { [MANAGED_LABEL]: "true", [TASK_LABEL]: taskId, "taskbox.test": "true" };
    if (queuePrefix) labels[QUEUE_LABEL] = queuePrefix;
    const name = `reap-${randomUUID().slice(0, 8)}`;
    const network = await docker.createNetwork({ Name: name, Driver: "bridge", Labels: labels });
    const container = await docker.createContainer({
      Image: inject("sandboxImage"),
      Cmd: ["sleep", "infinity"],
      Labels: labels,
      HostConfig: { NetworkMode: name },
    });
    created.containers.push(container.id);
    created.networks.push(network.id);
    return { container: container.id, network: network.id };
  }

  beforeAll(async () => {
    connection = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    queue = createTaskQueue(connection, prefix);
    workDir = await mkdtemp(join(tmpdir(), "reap-"));
    // "running" is active: a worker holds it until the test ends. "finished" completed; "gone" has no job at all.
    const held = new Promise<void>((resolve) => (release = resolve));
    worker = new Worker(TASK_QUEUE_NAME, async (job) => (job.data.taskId === "running" ? held : undefined), {
      connection,
      prefix,
      concurrency: 2,
    });
    await queue.add(TASK_JOB_NAME, { taskId: "finished" } as never, { jobId: jobIdForTask("finished") });
    await queue.add(TASK_JOB_NAME, { taskId: "running" } as never, { jobId: jobIdForTask("running") });
    await waitFor("jobs settled", async () =>
      (await queue.getJobState(jobIdForTask("finished"))) === "completed" &&
      (await queue.getJobState(jobIdForTask("running"))) === "active"
        ? true
        : undefined,
    );
  });
  afterAll(async () => {
    release?.();
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    connection?.disconnect();
    await removeSandboxResources(docker, created);
    await rm(workDir, { recursive: true, force: true });
  });

  it("removes the sandboxes and checkouts of tasks that no longer run, and nothing else", async () => {
    const running = await sandboxOf("running", prefix);
    const finished = await sandboxOf("finished", prefix);
    const gone = await sandboxOf("gone", prefix);
    const otherDeployment = await sandboxOf("finished", otherPrefix);
    const unlabelled = await sandboxOf("finished", undefined);
    await docker.getContainer(finished.container).start();
    for (const dir of ["running-abc123", "finished-def456", "unknown-ghi789", "not-a-checkout"])
      await mkdir(join(workDir, dir));

    const result = await reapOrphans({ docker, queue, queuePrefix: prefix, workDir, log });

    expect(result.containers.sort()).toEqual([finished.container, gone.container].sort());
    expect(result.networks.sort()).toEqual([finished.network, gone.network].sort());
    expect(result.workDirs).toEqual(["finished-def456"]);
    const left = new Set(
      (await docker.listContainers({ all: true, filters: { label: ["taskbox.test=true"] } })).map((c) => c.Id),
    );
    expect(left.has(running.container) && left.has(otherDeployment.container) && left.has(unlabelled.container)).toBe(
      true,
    );
    expect(left.has(finished.container) || left.has(gone.container)).toBe(false);
    expect((await readdir(workDir)).sort()).toEqual(["not-a-checkout", "running-abc123", "unknown-ghi789"]);

    // Once the task ends, its sandbox goes with the next pass.
    release();
    await waitFor("the job completed", async () =>
      (await queue.getJobState(jobIdForTask("running"))) === "completed" ? true : undefined,
    );
    expect((await reapOrphans({ docker, queue, queuePrefix: prefix, workDir, log })).containers).toEqual([
      running.container,
    ]);
  });
});
