import type Docker from "dockerode";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SNAPSHOT_LABELS } from "../../../src/sandbox/cache-snapshot.js";
import type { CacheStore } from "../../../src/queue/cache-store.js";
import { createEnvironmentCache, createSweeper } from "../../../src/sandbox/environment-cache.js";
import { fakeImages } from "../../support/fake-sandbox.js";

const log = pino({ level: "silent" });

function memoryStore(namespace = "ns"): CacheStore & { used: Map<string, number>; locks: Set<string> } {
  const used = new Map<string, number>();
  const locks = new Set<string>();
  return {
    namespace,
    used,
    locks,
    salt: async () => "salt",
    generation: async () => 0,
    generations: async () => new Map(),
    markUsed: async (id, at) => void used.set(id, at),
    lastUsed: async (ids) => new Map(ids.flatMap((id) => (used.has(id) ? [[id, used.get(id) ?? 0] as const] : []))),
    forget: async (ids) => ids.forEach((id) => used.delete(id)),
    async tryLock(name) {
      if (locks.has(name)) return undefined;
      locks.add(name);
      return { release: async () => void locks.delete(name) };
    },
  };
}

const input = {
  repository: "octo/hello",
  imageId: "sha256:base",
  setupScript: "true",
  setupInputs: {},
  maintenanceScript: undefined,
  setupInternet: true,
  env: {},
  secrets: {},
  packages: {},
  caBundle: undefined,
};

describe("createEnvironmentCache", () => {
  it("misses, builds, and then hits the saved environment, with the engine's lock held only during the build", async () => {
    const images = fakeImages();
    const store = memoryStore();
    const cache = createEnvironmentCache({ docker: {} as Docker, images, store, maxBytes: 1e9, log, now: () => 1000 });
    const key = await cache.keyFor(input);
    const signal = new AbortController().signal;

    const miss = await cache.acquire(key, { ttlMs: 60_000, signal });
    if (miss.hit) throw new Error("expected a miss");
    expect(miss.reason).toBe("no cached environment yet");
    expect([...store.locks]).toStrictEqual([`fake-engine:${key.key}`]);
    const sandbox = {
      snapshot: async ({ tag, labels }: { tag: string; labels: Record<string, string> }) => {
        images.images.set("sha256:env", { id: "sha256:env", size: 10, tags: [tag], labels });
        return "sha256:env";
      },
    };
    await miss.build.save(sandbox as never, { ttlMs: 60_000, commit: "abc", baseSize: 0 });
    await miss.build.release();
    expect(store.locks.size).toBe(0);

    const hit = await cache.acquire(key, { ttlMs: 60_000, signal });
    expect(hit).toStrictEqual({ hit: true, environment: { imageId: "sha256:env", createdAt: 1000, commit: "abc" } });
    expect(images.images.get("sha256:env")?.labels[SNAPSHOT_LABELS.namespace]).toBe("ns");

    await cache.clear();
    expect(images.removed).toStrictEqual(["sha256:env"]);
  });
});

describe("createSweeper", () => {
  it("shares a running sweep with whoever asks meanwhile, and sweeps anew after it ended", async () => {
    let runs = 0;
    let finish!: (ids: string[]) => void;
    const sweeper = createSweeper(() => {
      runs++;
      return new Promise<string[]>((resolve) => (finish = resolve));
    }, log);
    const first = sweeper.sweep();
    const second = sweeper.sweep();
    finish(["a"]);
    expect(await first).toStrictEqual(["a"]);
    expect(await second).toStrictEqual(["a"]);
    expect(runs).toBe(1);
    const third = sweeper.sweep();
    finish([]);
    await third;
    expect(runs).toBe(2);
  });

  it("logs a failed background sweep instead of throwing, and close waits for it", async () => {
    const warnings: unknown[] = [];
    const failing = { ...log, warn: (fields: unknown) => void warnings.push(fields) } as unknown as typeof log;
    const sweeper = createSweeper(() => Promise.reject(new Error("docker is gone")), failing);
    sweeper.sweepSoon();
    await sweeper.close();
    expect(warnings).toHaveLength(1);
  });
});
