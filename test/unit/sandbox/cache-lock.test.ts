import { describe, expect, it, vi } from "vitest";
import { acquireEnvironment, type AcquireDeps } from "../../../src/sandbox/cache-lock.js";
import type { FreshLookup } from "../../../src/sandbox/cache-lookup.js";
import type { EnvironmentBuild, EnvironmentKey } from "../../../src/sandbox/cache-snapshot.js";

const key = { key: "k1", repository: "octo/hello", generation: 0 } as EnvironmentKey;
const environment = { imageId: "sha256:a", createdAt: 5, commit: "abc" };
const options = () => ({ ttlMs: 3_600_000, signal: new AbortController().signal });

/** Scripted lookups in order (the last repeats); a lock is free unless `locked` says otherwise for that attempt. */
function fakes(lookups: FreshLookup[], locked: boolean[] = []) {
  const log: string[] = [];
  let lookup = 0;
  let attempt = 0;
  const build = { save: vi.fn(), release: vi.fn() } as unknown as EnvironmentBuild;
  const deps: AcquireDeps = {
    now: () => 42,
    engineId: async () => "engine",
    store: {
      async tryLock(name) {
        log.push(`tryLock ${name}`);
        if (locked[attempt++] === true) return undefined;
        return { release: async () => void log.push("release") };
      },
      async markUsed(id, at) {
        log.push(`markUsed ${id} ${at}`);
      },
    },
    async findFresh() {
      log.push("findFresh");
      return lookups[Math.min(lookup++, lookups.length - 1)] ?? {};
    },
    missReason: async () => "the setup script changed",
    newBuild: () => build,
    wait: async (ms) => void log.push(`wait ${ms}`),
  };
  return { deps, log, build };
}

describe("acquireEnvironment", () => {
  it("returns a hit without taking the lock, and marks the environment used", async () => {
    const { deps, log } = fakes([{ environment }]);
    expect(await acquireEnvironment(deps, key, options())).toStrictEqual({ hit: true, environment });
    expect(log).toStrictEqual(["findFresh", "markUsed sha256:a 42"]);
  });

  it("on a miss takes the engine's lock for the key, looks again, and hands out the build with the reason", async () => {
    const { deps, log, build } = fakes([{}]);
    const lookup = await acquireEnvironment(deps, key, options());
    expect(lookup).toStrictEqual({ hit: false, reason: "the setup script changed", build });
    expect(log).toStrictEqual(["findFresh", "tryLock engine:k1", "findFresh"]);
  });

  it("uses what the lock's previous holder saved, and releases the lock", async () => {
    const { deps, log } = fakes([{}, { environment }]);
    expect(await acquireEnvironment(deps, key, options())).toStrictEqual({ hit: true, environment });
    expect(log).toStrictEqual(["findFresh", "tryLock engine:k1", "findFresh", "release", "markUsed sha256:a 42"]);
  });

  it("waits while another task builds the key, then uses its result", async () => {
    const { deps, log } = fakes([{}, { environment }], [true]);
    expect(await acquireEnvironment(deps, key, options())).toStrictEqual({ hit: true, environment });
    expect(log).toStrictEqual(["findFresh", "tryLock engine:k1", "wait 250", "findFresh", "markUsed sha256:a 42"]);
  });

  it("says the environment expired when a lookup found it expired, with the TTL in force", async () => {
    const { deps } = fakes([{ expired: true }, {}]);
    const lookup = await acquireEnvironment(deps, key, options());
    expect(lookup.hit === false && lookup.reason).toBe(
      "the cached environment expired (`environment.cache.ttl`: 1h 00m)",
    );
  });

  it("falls back to a plain reason when the miss reason cannot be read", async () => {
    const { deps } = fakes([{}]);
    deps.missReason = () => Promise.reject(new Error("docker is gone"));
    const lookup = await acquireEnvironment(deps, key, options());
    expect(lookup.hit === false && lookup.reason).toBe("no usable cached environment");
  });

  it("releases the lock when the second look fails", async () => {
    const { deps, log } = fakes([]);
    let calls = 0;
    deps.findFresh = async () => {
      if (calls++ === 0) return {};
      throw new Error("inspect failed");
    };
    await expect(acquireEnvironment(deps, key, options())).rejects.toThrow("inspect failed");
    expect(log).toStrictEqual(["tryLock engine:k1", "release"]);
  });

  it("stops waiting when the task is cancelled", async () => {
    const { deps } = fakes([{}], [true, true, true]);
    const controller = new AbortController();
    deps.wait = async () => controller.abort(new Error("cancelled"));
    await expect(acquireEnvironment(deps, key, { ttlMs: 1000, signal: controller.signal })).rejects.toThrow(
      "cancelled",
    );
  });
});
