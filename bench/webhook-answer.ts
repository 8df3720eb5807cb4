// The webhook answer: time from a signed request to its response while tasks are queued and every GitHub call takes
// 150 ms. The webhook path makes no GitHub call, so the answer should not wait on any of them.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { sign } from "@octokit/webhooks-methods";
import pino from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { createIntakeQueue } from "../src/queue/intake-queue.js";
import { createRedisConnection } from "../src/queue/connection.js";
import { createTaskBoard } from "../src/queue/task-board.js";
import { TASK_JOB_NAME, TASK_JOB_VERSION, type TaskJobData } from "../src/queue/task-job.js";
import { createTaskQueue } from "../src/queue/task-queue.js";
import { createTaskboxApp } from "../src/web/create-app.js";
import { createIntakeStep } from "../src/web/intake.js";
import { startIntakeWorker } from "../src/worker/start-intake-worker.js";
import { issueCommentCreated } from "../test/support/webhook-payloads.js";

const QUEUED_TASKS = 50;
const WEBHOOKS = 200;
/** One webhook every so often, so that the intake steps of earlier ones run while later ones are answered. */
const PACE_MS = 25;
/** Answers before these are not counted: the first requests pay for module loading and JIT warm-up. */
const WARM_UP = 10;
const GITHUB_DELAY_MS = 150;
const SECRET = "bench-webhook-secret";

export interface WebhookAnswer {
  queuedTasks: number;
  webhooks: number;
  githubDelayMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The 1-minute load average as the measurement ended: other work on the machine shows in the tail. */
  loadAverage: number;
  /** Intake steps finished while the answers were measured. */
  intakeStepsDone: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

async function startSlowGitHub(): Promise<{ apiUrl: string; close(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "slow-github.ts")], {
    env: { ...process.env, GITHUB_DELAY_MS: String(GITHUB_DELAY_MS) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
  const { apiUrl } = JSON.parse(line) as { apiUrl: string };
  return { apiUrl, close: () => void child.kill("SIGTERM") };
}

export async function measureWebhookAnswer(redisUrl: string): Promise<WebhookAnswer> {
  const github = await startSlowGitHub();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const producer = createRedisConnection(redisUrl, "producer");
  const consumer = createRedisConnection(redisUrl, "worker");
  const queue = createTaskQueue(producer, prefix);
  const intake = createIntakeQueue(producer, prefix);
  const log = pino({ level: "silent" });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const probot = new Probot({
    appId: 1,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    secret: SECRET,
    baseUrl: github.apiUrl,
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    log,
  });
  // No task worker: the tasks stay queued, as they do while every worker is busy.
  for (let i = 0; i < QUEUED_TASKS; i++) {
    const taskId = randomUUID().replace(/-/g, "").slice(0, 12);
    await queue.add(TASK_JOB_NAME, { version: TASK_JOB_VERSION, taskId } as TaskJobData, { jobId: `task-${taskId}` });
  }
  const intakeWorker = startIntakeWorker({
    connection: consumer,
    prefix,
    intake: createIntakeStep({
      deps: {
        queue,
        board: createTaskBoard(producer, prefix),
        configDefaults: { defaultModel: "m", defaultImage: "i" },
      },
      installation: (id) => probot.auth(id),
      log,
    }),
    log,
  });
  const server = createServer(await createNodeMiddleware(createTaskboxApp({ intake }), { probot })); // eslint-disable-line @typescript-eslint/no-misused-promises -- Probot's middleware handles its own errors
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  try {
    const times: number[] = [];
    const begun = performance.now();
    for (let i = 0; i < WARM_UP + WEBHOOKS; i++) {
      const body = JSON.stringify(issueCommentCreated({ body: `/taskbox bench request ${i}`, issueNumber: 1000 + i }));
      const headers = {
        "content-type": "application/json",
        "x-github-event": "issue_comment",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": await sign(SECRET, body),
      };
      await sleep(Math.max(0, begun + i * PACE_MS - performance.now()));
      const started = performance.now();
      const response = await fetch(url, { method: "POST", headers, body });
      await response.arrayBuffer();
      if (i >= WARM_UP) times.push(performance.now() - started);
      if (response.status !== 200) throw new Error(`the webhook was answered ${response.status}`);
    }
    times.sort((a, b) => a - b);
    // The intake steps ran meanwhile, in this process: the measurement is worthless if they failed.
    const failed = await intake.getFailedCount();
    if (failed > 0) throw new Error(`${failed} intake steps failed; the answers were measured without their load`);
    const intakeStepsDone = await intake.getCompletedCount();
    const round = (ms: number) => Number(ms.toFixed(1));
    return {
      queuedTasks: QUEUED_TASKS,
      webhooks: WEBHOOKS,
      githubDelayMs: GITHUB_DELAY_MS,
      p50Ms: round(percentile(times, 0.5)),
      p99Ms: round(percentile(times, 0.99)),
      loadAverage: round(loadavg()[0]!),
      intakeStepsDone,
    };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await intakeWorker.close(true);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await intake.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await intake.close();
    consumer.disconnect();
    producer.disconnect();
    github.close();
  }
}
