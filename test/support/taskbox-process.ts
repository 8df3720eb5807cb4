import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./taskbox-harness.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = join(REPO_ROOT, "src/main.ts");
const TSX_LOADER = join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs");

export const WEBHOOK_SECRET = "fault-webhook-secret";

/** One private key per test run: Probot signs its app JWTs with it, and the fake GitHub accepts any. */
export const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();

export interface TaskboxProcess {
  readonly pid: number;
  /** Everything it printed so far (pino JSON lines). */
  output(): string;
  /** Resolves with the first output line matching pattern. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Runs Taskbox exactly as an operator does (`node --import tsx src/main.ts`), in a fresh working directory so that no
 * .env or stray *.pem of the checkout is picked up; the environment is only what the test gives (plus PATH and HOME).
 */
export async function startTaskboxProcess(env: Record<string, string>): Promise<TaskboxProcess> {
  const cwd = await mkdtemp(join(tmpdir(), "taskbox-process-"));
  const child: ChildProcess = spawn(process.execPath, ["--import", TSX_LOADER, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? cwd, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code))).then(
    async (code) => {
      await rm(cwd, { recursive: true, force: true });
      return code;
    },
  );
  const process_: TaskboxProcess = {
    pid: child.pid!,
    output: () => output,
    waitForLog: (pattern, timeoutMs = 60_000) =>
      waitFor(
        `a log line matching ${pattern} from taskbox (pid ${child.pid})`,
        () => {
          if (child.exitCode !== null)
            throw new Error(`taskbox exited with code ${child.exitCode}:\n${output.slice(-3000)}`);
          return output.split("\n").find((line) => pattern.test(line));
        },
        timeoutMs,
      ),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    exited,
  };
  return process_;
}

/** The environment of a Taskbox process against the test's fake GitHub, fake model and Redis. */
export function taskboxEnv(options: {
  githubHost: string;
  modelUrl: string;
  redisUrl: string;
  queuePrefix: string;
  workDir: string;
  secretsFile: string;
  sandboxImage: string;
  role: "web" | "worker" | "all";
  port?: number;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    TASKBOX_ROLE: options.role,
    APP_ID: "1",
    PRIVATE_KEY,
    WEBHOOK_SECRET,
    GHE_HOST: options.githubHost,
    GHE_PROTOCOL: "http",
    OPENAI_API_KEY: "test-key",
    OPENAI_BASE_URL: options.modelUrl,
    REDIS_URL: options.redisUrl,
    TASKBOX_QUEUE_PREFIX: options.queuePrefix,
    TASKBOX_SANDBOX_IMAGE: options.sandboxImage,
    TASKBOX_WORK_DIR: options.workDir,
    TASKBOX_SECRETS_FILE: options.secretsFile,
    TASKBOX_STATUS_INTERVAL_MS: "0",
    TASKBOX_SANDBOX_MEMORY: "1g",
    TASKBOX_SANDBOX_CPUS: "1",
    HOST: "127.0.0.1",
    PORT: String(options.port ?? 0),
    TASKBOX_WORKER_PORT: "0",
    NODE_ENV: "production",
    ...options.extra,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no free port")),
      );
    });
  });
}

/** Waits until a web process answers /healthz. */
export async function waitForHealthy(port: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `taskbox web on port ${port}`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.ok ? true : undefined;
    },
    timeoutMs,
  );
}
