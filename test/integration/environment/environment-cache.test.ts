import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { CacheKeyInput } from "../../../src/sandbox/cache-key.js";
import { createCacheStore } from "../../../src/queue/cache-store.js";
import { createDockerSandboxFactory } from "../../../src/sandbox/docker-sandbox.js";
import {
  createEnvironmentCache,
  SNAPSHOT_LABELS,
  type EnvironmentCache,
} from "../../../src/sandbox/environment-cache.js";
import type { Sandbox } from "../../../src/sandbox/types.js";
import { waitFor } from "../../support/taskbox-harness.js";

const docker = new Docker();
const log = pino({ level: "silent" });
const LIMITS = { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 128 };
const HOUR = 3_600_000;

function keyInput(overrides: Partial<CacheKeyInput> = {}): Omit<CacheKeyInput, "generation"> {
  return {
    repository: "octo/cache-test",
    imageId: "sha256:test",
    setupScript: "true",
    setupInputs: {},
    maintenanceScript: undefined,
    setupInternet: true,
    env: {},
    secrets: {},
    packages: {},
    caBundle: undefined,
    ...overrides,
  };
}

describe("the environment cache", () => {
  let redis: Redis;
  let namespace: string;
  let cache: EnvironmentCache;
  const sandboxes: Sandbox[] = [];
  const factory = createDockerSandboxFactory({ docker, log });

  /** A running sandbox with `bytes` of data written outside the workspace. */
  async function sandboxWith(bytes: number): Promise<Sandbox> {
    const sandbox = await factory.create({
      taskId: `cache-${randomUUID().slice(0, 8)}`,
      image: inject("sandboxImage"),
      limits: LIMITS,
      network: false,
    });
    sandboxes.push(sandbox);
    const result = await sandbox.exec({
      command: `head -c ${bytes} /dev/urandom > ~/data`,
      timeoutMs: 30_000,
      maxOutputBytes: 4096,
    });
    expect(result.exitCode).toBe(0);
    return sandbox;
  }

  beforeAll(() => {
    redis = new Redis(inject("redisUrl"));
  });
  afterAll(async () => {
    redis.disconnect();
  });
  afterEach(async () => {
    for (const sandbox of sandboxes.splice(0)) await sandbox.remove();
    await cache.clear();
    await cache.close();
  });

  /** How often a task found a key's build lock taken (and so waited for the build). */
  let lockRefusals = 0;

  function newCache(maxBytes = 10 * 1024 ** 3): EnvironmentCache {
    namespace = `cache-test-${randomUUID().slice(0, 8)}`;
    const store = createCacheStore(redis, namespace);
    lockRefusals = 0;
    const tryLock: typeof store.tryLock = async (name, ttlMs) => {
      const lock = await store.tryLock(name, ttlMs);
      if (!lock) lockRefusals++;
      return lock;
    };
    cache = createEnvironmentCache({ docker, store: { ...store, tryLock }, maxBytes, log });
    return cache;
  }

  it("lets one of two tasks with the same key build while the other waits, then gives the other its result", async () => {
    newCache();
    const key = await cache.keyFor(keyInput());
    const first = await cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) });
    expect(first.hit).toBe(false);
    if (first.hit) return;
    expect(first.reason).toBe("no cached environment yet");

    let secondSettled = false;
    const second = cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) }).finally(() => {
      secondSettled = true;
    });
    await waitFor("the second task to find the key being built", () => (lockRefusals > 0 ? true : undefined), 30_000);
    expect(secondSettled).toBe(false); // waiting for the build, not starting its own

    const saved = await first.build.save(await sandboxWith(1024), { ttlMs: HOUR, commit: "abc", baseSize: 0 });
    await first.build.release();
    const result = await second;
    expect(result).toMatchObject({ hit: true, environment: { imageId: saved.imageId, commit: "abc" } });
  });

  it("hands the build to a waiting task when the builder gives up without saving", async () => {
    newCache();
    const key = await cache.keyFor(keyInput({ setupScript: "exit 1" }));
    const first = await cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) });
    const second = cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) });
    expect(first.hit).toBe(false);
    if (!first.hit) await first.build.release();
    const next = await second;
    expect(next.hit).toBe(false);
    if (!next.hit) await next.build.release();
  });

  it("stops waiting when the task is cancelled", async () => {
    newCache();
    const key = await cache.keyFor(keyInput({ setupScript: "sleep" }));
    const first = await cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) });
    const controller = new AbortController();
    const second = cache.acquire(key, { ttlMs: HOUR, signal: controller.signal });
    controller.abort(new Error("cancelled"));
    await expect(second).rejects.toThrow("cancelled");
    if (!first.hit) await first.build.release();
  });

  it("keeps its size under the cap by removing the least recently used environments", async () => {
    newCache(3 * 1024 ** 2); // room for one 2 MiB environment
    const keys = [
      await cache.keyFor(keyInput({ setupScript: "a" })),
      await cache.keyFor(keyInput({ setupScript: "b" })),
    ];
    const saved = [];
    for (const key of keys) {
      const lookup = await cache.acquire(key, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) });
      if (lookup.hit) throw new Error("expected a miss");
      const base = await docker.getImage(inject("sandboxImage")).inspect();
      saved.push(
        await lookup.build.save(await sandboxWith(2 * 1024 ** 2), { ttlMs: HOUR, commit: "c", baseSize: base.Size }),
      );
      await lookup.build.release();
    }
    // The older one is used again, so the newer one is now the least recently used.
    expect((await cache.acquire(keys[0]!, { ttlMs: HOUR, signal: AbortSignal.timeout(60_000) })).hit).toBe(true);
    for (const sandbox of sandboxes.splice(0)) await sandbox.remove();

    expect(await cache.sweep()).toStrictEqual([saved[1]!.imageId]);
    const left = await docker.listImages({ filters: { label: [`${SNAPSHOT_LABELS.namespace}=${namespace}`] } });
    expect(left.map((image) => image.Id)).toStrictEqual([saved[0]!.imageId]);
  });
});
