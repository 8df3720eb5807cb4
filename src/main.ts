import { existsSync } from "node:fs";
import Docker from "dockerode";
import { getPrivateKey } from "@probot/get-private-key";
import pino, { type Logger } from "pino";
import { createProbot, run } from "probot";
import { loadSecretsStore } from "./config/secrets.js";
import { configDefaultsOf, EnvError, parseEnv, type TaskboxEnv } from "./env.js";
import { createRedisConnection } from "./queue/connection.js";
import { createTaskQueue } from "./queue/task-queue.js";
import { createTaskBoard } from "./queue/task-board.js";
import { checkSandboxRuntime } from "./sandbox/sandbox-runtime.js";
import { TaskboxOctokit } from "./github/taskbox-octokit.js";
import { onShutdownSignals } from "./shutdown.js";
import { createTaskboxApp } from "./web/create-app.js";
import { createHealth, serveHealth, type Health, type ReadinessCheck } from "./web/health.js";
import { createRateLimiter } from "./web/rate-limit.js";
import { startDeliveryRecovery } from "./web/recover-deliveries.js";
import { createTaskDeps } from "./worker/create-task-deps.js";
import { drainWorker } from "./worker/drain-worker.js";
import { startOrphanReaper } from "./worker/reap-orphans.js";
import { startTaskWorker } from "./worker/start-worker.js";

type Shutdown = () => Promise<void>;

interface Started {
  shutdown: Shutdown;
  readiness: ReadinessCheck[];
}

/**
 * Probot would coordinate its GitHub API throttling through REDIS_URL. Then every GitHub call waits on Redis, so in a
 * Redis outage the web process could not even answer 503 and workers could not finish their status comments. Each
 * process throttles on its own instead; Octokit's retry and rate-limit handling work the same without Redis.
 */
const PROBOT_OPTIONS = { redisConfig: undefined, Octokit: TaskboxOctokit };

const CACHE_SWEEP_INTERVAL_MS = 10 * 60_000;

function hasAppCredentials(): boolean {
  return Boolean(process.env.APP_ID) && getPrivateKey() !== null;
}

function redisCheck(connection: { ping(): Promise<unknown> }): ReadinessCheck {
  return { name: "redis", check: async () => void (await connection.ping()) };
}

async function startWeb(env: TaskboxEnv, log: Logger, health: Health): Promise<Started> {
  const connection = createRedisConnection(env.REDIS_URL, "producer");
  const queue = createTaskQueue(connection, env.TASKBOX_QUEUE_PREFIX);
  const taskboxApp = createTaskboxApp({
    queue,
    board: createTaskBoard(connection, env.TASKBOX_QUEUE_PREFIX),
    configDefaults: configDefaultsOf(env),
    loadSecrets: () => loadSecretsStore(env.TASKBOX_SECRETS_FILE),
    rateLimiter: createRateLimiter({
      redis: connection,
      prefix: env.TASKBOX_QUEUE_PREFIX,
      perUser: env.TASKBOX_RATE_LIMIT_USER,
      perInstallation: env.TASKBOX_RATE_LIMIT_INSTALLATION,
    }),
    maxRequestChars: env.TASKBOX_MAX_REQUEST_CHARS,
  });
  const app: Parameters<typeof run>[0] = async (probot, options) => {
    await taskboxApp(probot, options);
    options.addHandler((req, res) => health.handler(req, res));
  };
  const server = await run(app, { log, env: { ...process.env, REDIS_URL: undefined }, Octokit: TaskboxOctokit });
  // Webhooks refused while the queue was down are redelivered; Probot's own client authenticates as the app.
  const appProbot = createProbot({ overrides: { log, ...PROBOT_OPTIONS } });
  const recovery =
    env.TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS > 0
      ? startDeliveryRecovery({
          appOctokit: () => appProbot.auth(),
          redis: connection,
          prefix: env.TASKBOX_QUEUE_PREFIX,
          windowMs: env.TASKBOX_DELIVERY_RECOVERY_WINDOW_MS,
          intervalMs: env.TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS,
          log,
        })
      : undefined;
  const shutdown = async () => {
    await server.stop();
    await recovery?.stop();
    await queue.close();
    connection.disconnect();
  };
  return { shutdown, readiness: [redisCheck(connection)] };
}

async function startWorker(env: TaskboxEnv, log: Logger): Promise<Started> {
  const docker = new Docker();
  await checkSandboxRuntime(docker, env.TASKBOX_RUNTIME);
  const connection = createRedisConnection(env.REDIS_URL, "worker");
  const probot = createProbot({ overrides: { log, ...PROBOT_OPTIONS } });
  const deps = createTaskDeps(env, probot, log, connection);
  const worker = startTaskWorker({
    connection,
    prefix: env.TASKBOX_QUEUE_PREFIX,
    concurrency: env.TASKBOX_CONCURRENCY,
    repositoryConcurrency: env.TASKBOX_REPO_CONCURRENCY,
    stalledJobs: {
      lockDurationMs: env.TASKBOX_LOCK_DURATION_MS,
      stalledIntervalMs: env.TASKBOX_STALLED_INTERVAL_MS,
      maxStalledCount: env.TASKBOX_MAX_STALLED_COUNT,
    },
    deps,
    log,
  });
  const reaperQueue = createTaskQueue(connection, env.TASKBOX_QUEUE_PREFIX);
  const reaper = startOrphanReaper({
    docker,
    queue: reaperQueue,
    queuePrefix: env.TASKBOX_QUEUE_PREFIX,
    workDir: env.TASKBOX_WORK_DIR,
    intervalMs: env.TASKBOX_REAPER_INTERVAL_MS,
    log,
  });
  // Expired and evicted environments leave the disk even while no task runs.
  deps.environmentCache.startSweeping(CACHE_SWEEP_INTERVAL_MS);
  log.info({ concurrency: env.TASKBOX_CONCURRENCY }, "worker started");
  const shutdown = async () => {
    // Running tasks get TASKBOX_SHUTDOWN_TIMEOUT; either way their status comments reach a final state.
    await drainWorker(worker, env.TASKBOX_SHUTDOWN_TIMEOUT, log);
    await reaper.stop();
    await reaperQueue.close();
    await deps.environmentCache.close();
    connection.disconnect();
  };
  const readiness: ReadinessCheck[] = [
    redisCheck(connection),
    { name: "docker", check: async () => void (await docker.ping()) },
    {
      name: "worker",
      check: () => (worker.isRunning() ? Promise.resolve() : Promise.reject(new Error("not taking jobs"))),
    },
  ];
  return { shutdown, readiness };
}

/** A worker without the app's credentials could never act; the setup page belongs to a web process. */
function missingWorkerCredentials(): EnvError {
  return new EnvError(
    "Invalid environment:\n  APP_ID, PRIVATE_KEY: a worker needs the GitHub App's credentials. Register the app " +
      "through the setup page of a web process (TASKBOX_ROLE=web or all, `npm start`), then give this worker the " +
      "same APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).",
  );
}

async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = parseEnv(process.env);
  const log = pino({ name: "taskbox", level: process.env.LOG_LEVEL ?? "info" });

  if (!hasAppCredentials()) {
    if (env.TASKBOX_ROLE === "worker") throw missingWorkerCredentials();
    log.warn(
      "no GitHub App credentials (APP_ID, PRIVATE_KEY): serving Probot's setup page; restart once the app is registered",
    );
    await run(() => {}, { log });
    return;
  }
  const readiness: ReadinessCheck[] = [];
  const health = createHealth(readiness);
  const started: Started[] = [];
  if (env.TASKBOX_ROLE !== "worker") started.push(await startWeb(env, log, health));
  if (env.TASKBOX_ROLE !== "web") started.push(await startWorker(env, log));
  readiness.push(...started.flatMap((part) => part.readiness));
  const healthServer =
    env.TASKBOX_ROLE === "worker"
      ? await serveHealth(health, env.TASKBOX_WORKER_PORT, process.env.HOST ?? "127.0.0.1", log)
      : undefined;

  onShutdownSignals({
    log,
    shutdown: async () => {
      health.markStopping();
      await Promise.all(started.map((part) => part.shutdown()));
      healthServer?.close();
    },
  });
}

main().catch((error: unknown) => {
  // An operator error (bad environment) is printed plainly; anything else with its stack.
  console.error(error instanceof EnvError ? error.message : error);
  process.exit(1);
});
