import { existsSync } from "node:fs";
import { getPrivateKey } from "@probot/get-private-key";
import pino, { type Logger } from "pino";
import { createProbot, run } from "probot";
import { loadSecretsStore } from "./config/secrets.js";
import { EnvError, parseEnv, type TaskboxEnv } from "./env.js";
import { createRedisConnection } from "./queue/connection.js";
import { createTaskQueue } from "./queue/task-queue.js";
import { createTaskboxApp } from "./web/create-app.js";
import { createTaskDeps } from "./worker/create-task-deps.js";
import { startTaskWorker } from "./worker/start-worker.js";

type Shutdown = () => Promise<void>;

function hasAppCredentials(): boolean {
  return Boolean(process.env.APP_ID) && getPrivateKey() !== null;
}

async function startWeb(env: TaskboxEnv, log: Logger): Promise<Shutdown> {
  const connection = createRedisConnection(env.REDIS_URL, "producer");
  const queue = createTaskQueue(connection, env.TASKBOX_QUEUE_PREFIX);
  const app = createTaskboxApp({
    queue,
    configDefaults: { defaultModel: env.TASKBOX_MODEL, defaultImage: env.TASKBOX_SANDBOX_IMAGE },
    loadSecrets: () => loadSecretsStore(env.TASKBOX_SECRETS_FILE),
  });
  const server = await run(app, { log });
  return async () => {
    await server.stop();
    await queue.close();
    connection.disconnect();
  };
}

function startWorker(env: TaskboxEnv, log: Logger): Shutdown {
  const connection = createRedisConnection(env.REDIS_URL, "worker");
  const probot = createProbot({ overrides: { log } });
  const worker = startTaskWorker({
    connection,
    prefix: env.TASKBOX_QUEUE_PREFIX,
    concurrency: env.TASKBOX_CONCURRENCY,
    deps: createTaskDeps(env, probot, log),
    log,
  });
  log.info({ concurrency: env.TASKBOX_CONCURRENCY }, "worker started");
  return async () => {
    // Waits for running tasks, so their status comments reach a final state.
    await worker.close();
    connection.disconnect();
  };
}

async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = parseEnv(process.env);
  const log = pino({ name: "taskbox", level: process.env.LOG_LEVEL ?? "info" });

  if (!hasAppCredentials()) {
    log.warn("no GitHub App credentials (APP_ID, PRIVATE_KEY): serving Probot's setup page; restart once the app is registered");
    await run(() => {}, { log });
    return;
  }
  const shutdowns: Shutdown[] = [];
  if (env.TASKBOX_ROLE !== "worker") shutdowns.push(await startWeb(env, log));
  if (env.TASKBOX_ROLE !== "web") shutdowns.push(startWorker(env, log));

  process.once("SIGTERM", () => {
    log.info("SIGTERM: shutting down");
    void Promise.all(shutdowns.map((shutdown) => shutdown())).then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  // An operator error (bad environment) is printed plainly; anything else with its stack.
  console.error(error instanceof EnvError ? error.message : error);
  process.exit(1);
});
