import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import Docker from "dockerode";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    sandboxImage: string;
  }
}

const sandboxImage = process.env.TASKBOX_SANDBOX_IMAGE ?? "taskbox-sandbox:latest";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForRedis(url: string, redis: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (redis.exitCode !== null) throw new Error(`redis-server exited with code ${redis.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {}); // refused connections are expected until the server listens
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server did not answer at ${url}`);
}

// Integration tests need the real services: a missing one fails the run, it never skips tests.
async function checkDocker(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `The Docker engine is not reachable (${(error as Error).message}). Start dockerd, or run .ci/run.`,
      {
        cause: error,
      },
    );
  }
  try {
    await docker.getImage(sandboxImage).inspect();
  } catch {
    throw new Error(`The sandbox image ${sandboxImage} is missing. Build it with: npm run sandbox:build`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkDocker();
  const port = await freePort();
  const redis = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const spawnError = new Promise<never>((_, reject) =>
    redis.once("error", (e) =>
      reject(new Error(`cannot start redis-server (${e.message}); install it: apt-get install redis-server`)),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([waitForRedis(url, redis), spawnError]);
  project.provide("redisUrl", url);
  project.provide("sandboxImage", sandboxImage);
  return async () => {
    redis.kill("SIGTERM");
  };
}
