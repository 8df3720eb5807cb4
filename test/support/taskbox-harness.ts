import { generateKeyPairSync, randomUUID } from "node:crypto";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import type { Worker } from "bullmq";
import Docker from "dockerode";
import { dump } from "js-yaml";
import pino from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { inject } from "vitest";
import { configDefaultsOf, parseEnv } from "../../src/env.js";
import { createRedisConnection } from "../../src/queue/connection.js";
import { createTaskBoard, type TaskBoard } from "../../src/queue/task-board.js";
import { createTaskQueue, type TaskQueue } from "../../src/queue/task-queue.js";
import { createIntakeQueue } from "../../src/queue/intake-queue.js";
import { createTranscriptStore, type TranscriptStore } from "../../src/report/transcript-store.js";
import { createTaskboxApp } from "../../src/web/create-app.js";
import { createIntakeStep } from "../../src/web/intake.js";
import { startIntakeWorker } from "../../src/worker/start-intake-worker.js";
import { createCacheStore } from "../../src/queue/cache-store.js";
import { listCachedEnvironments } from "../../src/sandbox/list-cached-environments.js";
import { createPagesHandler } from "../../src/web/pages/mount-pages.js";
import { createTaskDeps } from "../../src/worker/create-task-deps.js";
import { startTaskWorker } from "../../src/worker/start-worker.js";
import { isFinalStatus } from "./status-comments.js";
import { startFakeGitHub, type FakeComment, type FakeGitHub } from "./fake-github.js";
import { startFakeModel, type FakeModel, type Script } from "./fake-model.js";
import {
  issueCommentCreated,
  issuesLabeled,
  pullRequestLabeled,
  type IssueCommentOptions,
  type LabeledOptions,
  type PullRequestLabeledOptions,
} from "./webhook-payloads.js";
import { TEST_RUNTIME } from "./test-runtime.js";

const WEBHOOK_SECRET = "e2e-webhook-secret";
export const OWNER = "octo";
export const REPO = "hello";

export interface HarnessOptions {
  files: Record<string, string | Buffer>;
  script: Script;
  secrets?: Record<string, Record<string, string>>;
  env?: Record<string, string>;
  /** Task pages on, signing in through the fake GitHub's OAuth flow; admins are TASKBOX_ADMINS. */
  pages?: { admins?: string[] };
}

export interface Harness {
  github: FakeGitHub;
  model: FakeModel;
  queue: TaskQueue;
  webhookUrl: string;
  /** http://127.0.0.1:PORT, where the task pages, /admin and /metrics are served. */
  baseUrl: string;
  /** The tasks' transcripts, as stored. */
  transcripts: TranscriptStore;
  /** Task records and thread lines, as the app sees them. */
  board: TaskBoard;
  /** Sends a signed issue_comment.created webhook over HTTP, as GitHub would; returns the HTTP status. */
  comment(options: IssueCommentOptions, deliveryId?: string): Promise<number>;
  /** Sends a signed issues.labeled webhook (the trigger label on an issue, unless options.label says otherwise). */
  label(options?: LabeledOptions, deliveryId?: string): Promise<number>;
  /** Sends a signed pull_request.labeled webhook. */
  labelPullRequest(options?: PullRequestLabeledOptions, deliveryId?: string): Promise<number>;
  /** Sends any signed webhook. */
  send(event: string, payload: object, deliveryId?: string): Promise<number>;
  /** The status comment of a task, once its body shows a final state. */
  finalStatusOf(taskId: string, timeoutMs?: number): Promise<FakeComment>;
  /** The bot's status comment on an issue, once its body shows a final state. */
  finalStatus(issueNumber?: number, timeoutMs?: number): Promise<FakeComment>;
  close(): Promise<void>;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The whole app as it runs in production: Probot's middleware verifying signed webhooks, BullMQ on a real
 * Redis, the worker driving the real Docker engine; GitHub is a local fake with real git over HTTP, the model a
 * scripted OpenAI-compatible server.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const github = await startFakeGitHub();
  await github.createRepo(OWNER, REPO, options.files);
  github.permissions.set("maintainer", "write");
  const model = await startFakeModel(options.script);
  const tempDir = await mkdtemp(join(tmpdir(), "taskbox-harness-"));
  // Listening before the app exists, so the pages know their public URL.
  let middleware: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined = undefined;
  const server: Server = createServer((req, res) => void middleware?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const webhookUrl = `${baseUrl}/api/github/webhooks`;
  const pagesEnv = options.pages && {
    GITHUB_CLIENT_ID: github.oauth.clientId,
    GITHUB_CLIENT_SECRET: github.oauth.clientSecret,
    TASKBOX_PUBLIC_URL: baseUrl,
    TASKBOX_ADMINS: (options.pages.admins ?? []).join(","),
  };
  const secretsFile = join(tempDir, "secrets.yml");
  await writeFile(secretsFile, dump(options.secrets ?? {}));

  const env = parseEnv({
    // Outside vitest (npm run bench), options.env provides both instead.
    REDIS_URL: options.env?.REDIS_URL ?? inject("redisUrl"),
    TASKBOX_QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    TASKBOX_SANDBOX_IMAGE: options.env?.TASKBOX_SANDBOX_IMAGE ?? inject("sandboxImage"),
    OPENAI_API_KEY: "test-key",
    OPENAI_BASE_URL: model.baseUrl,
    ANTHROPIC_API_KEY: "test-anthropic-key",
    ANTHROPIC_BASE_URL: model.anthropicBaseUrl,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    TASKBOX_SECRETS_FILE: secretsFile,
    TASKBOX_STATUS_INTERVAL_MS: "0",
    TASKBOX_WORK_DIR: join(tempDir, "work"),
    TASKBOX_SANDBOX_MEMORY: "1g",
    TASKBOX_SANDBOX_CPUS: "1",
    TASKBOX_RUNTIME: TEST_RUNTIME,
    // Tests build images of their own (derived, or without the agent CLIs) under these names.
    TASKBOX_ALLOWED_IMAGES: "taskbox-sandbox:*, taskbox-test:*",
    ...pagesEnv,
    ...options.env,
  });
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const probot = new Probot({
    appId: 1,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    secret: WEBHOOK_SECRET,
    baseUrl: github.apiUrl,
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    log,
  });

  const producer = createRedisConnection(env.REDIS_URL, "producer");
  const queue = createTaskQueue(producer, env.TASKBOX_QUEUE_PREFIX);
  const board = createTaskBoard(producer, env.TASKBOX_QUEUE_PREFIX);
  const transcripts = createTranscriptStore({ redis: producer, prefix: env.TASKBOX_QUEUE_PREFIX, log });
  const intake = createIntakeQueue(producer, env.TASKBOX_QUEUE_PREFIX);
  const app = createTaskboxApp({
    intake,
    pages: (clients) =>
      createPagesHandler({
        oauth: pagesEnv && {
          clientId: pagesEnv.GITHUB_CLIENT_ID,
          clientSecret: pagesEnv.GITHUB_CLIENT_SECRET,
          gheHost: github.host,
          gheProtocol: "http",
        },
        publicUrl: baseUrl,
        admins: env.TASKBOX_ADMINS,
        clients,
        web: { queue, board },
        transcripts,
        redis: producer,
        environments: () => listCachedEnvironments(new Docker(), createCacheStore(producer, env.TASKBOX_QUEUE_PREFIX)),
        log,
      }),
  });
  middleware = await createNodeMiddleware(app, { probot });

  const workerConnection = createRedisConnection(env.REDIS_URL, "worker");
  const deps = createTaskDeps(env, probot, log, workerConnection);
  const intakeWorker = startIntakeWorker({
    connection: workerConnection,
    prefix: env.TASKBOX_QUEUE_PREFIX,
    intake: createIntakeStep({
      deps: {
        queue,
        board,
        configDefaults: configDefaultsOf(env),
      },
      installation: (id) => probot.auth(id),
      log,
    }),
    log,
  });
  const worker: Worker = startTaskWorker({
    connection: workerConnection,
    prefix: env.TASKBOX_QUEUE_PREFIX,
    concurrency: 2,
    repositoryConcurrency: env.TASKBOX_REPO_CONCURRENCY,
    deps,
    log,
  });

  async function send(event: string, payload: object, deliveryId: string = randomUUID()): Promise<number> {
    github.learnFrom(payload);
    const body = JSON.stringify(payload);
    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": deliveryId,
        "x-hub-signature-256": await sign(WEBHOOK_SECRET, body),
      },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  return {
    github,
    model,
    queue,
    webhookUrl,
    baseUrl,
    transcripts,
    board,
    send,
    comment: (commentOptions, deliveryId) =>
      send("issue_comment", issueCommentCreated({ owner: OWNER, repo: REPO, ...commentOptions }), deliveryId),
    label: (labelOptions = {}, deliveryId) =>
      send("issues", issuesLabeled({ owner: OWNER, repo: REPO, ...labelOptions }), deliveryId),
    labelPullRequest: (labelOptions = {}, deliveryId) =>
      send("pull_request", pullRequestLabeled({ owner: OWNER, repo: REPO, ...labelOptions }), deliveryId),
    finalStatusOf(taskId, timeoutMs = 120_000) {
      return waitFor(
        `the final status of task ${taskId}`,
        () => github.comments.find((c) => c.body.includes(`taskbox:task=${taskId} `) && isFinalStatus(c.body)),
        timeoutMs,
      );
    },
    finalStatus(issueNumber = 1, timeoutMs = 120_000) {
      return waitFor(
        "a final status comment",
        () => github.comments.find((c) => c.issueNumber === issueNumber && isFinalStatus(c.body)),
        timeoutMs,
      );
    },
    async close() {
      await intakeWorker.close();
      await worker.close();
      await deps.environmentCache.clear(); // the environments its tasks cached
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await intake.obliterate({ force: true }).catch(() => undefined);
      await intake.close();
      workerConnection.disconnect();
      producer.disconnect();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await model.close();
      await github.close();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}
