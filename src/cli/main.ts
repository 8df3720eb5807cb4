import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { getPrivateKey } from "@probot/get-private-key";
import { Command } from "commander";
import Docker from "dockerode";
import type { Redis } from "ioredis";
import pino from "pino";
import { JSON_SCHEMA_FILE, renderConfigJsonSchema } from "../config/json-schema.js";
import { CONFIG_PATH } from "../config/schema.js";
import { EnvError, parseEnv, type TaskboxEnv } from "../env.js";
import { createTaskBoard } from "../queue/task-board.js";
import { createTaskQueue } from "../queue/task-queue.js";
import { createCacheStore } from "../queue/cache-store.js";
import { createEnvironmentCache } from "../sandbox/environment-cache.js";
import { listCache, pruneCache } from "./cache.js";
import { connectRedis, pingRedis } from "./redis.js";
import { doctorChecks, runDoctor } from "./doctor.js";
import { cancelTaskFromCli, listTasks, showTask, type TaskStores } from "./tasks.js";
import { validateConfigFile } from "./validate.js";

const print = (lines: string[] | string) => console.log(Array.isArray(lines) ? lines.join("\n") : lines);

function loadEnv(): TaskboxEnv {
  if (existsSync(".env")) process.loadEnvFile(".env");
  return parseEnv(process.env);
}

async function withRedis<T>(work: (redis: Redis, env: TaskboxEnv) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const redis = await connectRedis(env.REDIS_URL);
  try {
    return await work(redis, env);
  } finally {
    redis.disconnect();
  }
}

async function withTasks<T>(work: (stores: TaskStores) => Promise<T>): Promise<T> {
  return withRedis(async (redis, env) => {
    const queue = createTaskQueue(redis, env.TASKBOX_QUEUE_PREFIX);
    try {
      return await work({ queue, board: createTaskBoard(redis, env.TASKBOX_QUEUE_PREFIX) });
    } finally {
      await queue.close();
    }
  });
}

async function reach(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  return response.status;
}

const program = new Command("taskbox").description("Operate a Taskbox installation").showHelpAfterError();

program
  .command("doctor")
  .description(
    "check Node, Redis, Docker, the sandbox image and runtime, credentials and the APIs; each failure says its fix",
  )
  .action(async () => {
    const env = loadEnv();
    const checks = doctorChecks({
      env,
      nodeVersion: process.versions.node,
      hasAppCredentials: Boolean(process.env.APP_ID) && getPrivateKey() !== null,
      docker: new Docker(),
      pingRedis,
      reach,
    });
    if (!(await runDoctor(checks, (line) => console.log(line)))) process.exitCode = 1;
  });

program
  .command("validate")
  .description("check a .github/taskbox.yml as the bot would, with line and column of each problem")
  .argument("[file]", "the config file", CONFIG_PATH)
  .option("--repo <owner/name>", "the repository the bot's messages name", "local/repository")
  .action(async (file: string, options: { repo: string }) => {
    const env = loadEnv();
    const defaults = { defaultModel: env.TASKBOX_MODEL, defaultImage: env.TASKBOX_SANDBOX_IMAGE };
    const result = await validateConfigFile(file, { repository: options.repo, defaults });
    print(result.lines);
    if (!result.ok) process.exitCode = 1;
  });

const tasks = program.command("tasks").description("queued and running tasks");
tasks
  .command("list", { isDefault: true })
  .description("list queued and running tasks")
  .action(() => withTasks(async (stores) => print(await listTasks(stores))));
tasks
  .command("show")
  .argument("<task-id>")
  .description("show a task's record")
  .action((taskId: string) => withTasks(async (stores) => print(await showTask(stores, taskId))));
tasks
  .command("cancel")
  .argument("<task-id>")
  .requiredOption("--by <github-login>", "who cancels, as the status comment names them")
  .description("cancel a queued or running task")
  .action((taskId: string, options: { by: string }) =>
    withTasks(async (stores) => print(await cancelTaskFromCli(stores, taskId, options.by))),
  );

const cache = program.command("cache").description("cached environments on this Docker engine");
cache
  .command("list", { isDefault: true })
  .description("list cached environments")
  .action(() => withRedis(async (_redis, env) => print(await listCache(new Docker(), env.TASKBOX_QUEUE_PREFIX))));
cache
  .command("prune")
  .option("--all", "remove every cached environment no container uses, not only expired and superseded ones")
  .description("remove expired, reset, superseded and over-the-cap environments now")
  .action((options: { all?: boolean }) =>
    withRedis(async (redis, env) => {
      const environmentCache = createEnvironmentCache({
        docker: new Docker(),
        store: createCacheStore(redis, env.TASKBOX_QUEUE_PREFIX),
        maxBytes: env.TASKBOX_CACHE_MAX_BYTES,
        log: pino({ level: process.env.LOG_LEVEL ?? "warn" }),
      });
      print(await pruneCache(environmentCache, options.all === true));
    }),
  );

program
  .command("schema")
  .description(`print the JSON Schema of ${CONFIG_PATH}`)
  .option("--write", `write it to ${JSON_SCHEMA_FILE} instead`)
  .action(async (options: { write?: boolean }) => {
    if (options.write) await writeFile(JSON_SCHEMA_FILE, renderConfigJsonSchema());
    else process.stdout.write(renderConfigJsonSchema());
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof EnvError || error instanceof Error ? error.message : error);
  process.exit(1);
});
