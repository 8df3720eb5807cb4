import { formatDuration } from "../config/duration.js";
import type { CacheLock, CacheStore } from "../queue/cache-store.js";
import type { CachedEnvironment, EnvironmentBuild, EnvironmentKey } from "./cache-snapshot.js";
import type { FreshLookup } from "./cache-lookup.js";

const LOCK_TTL_MS = 30_000;
const LOCK_POLL_MS = 250;

export type CacheLookup =
  { hit: true; environment: CachedEnvironment } | { hit: false; reason: string; build: EnvironmentBuild };

/** The steps acquireEnvironment strings together; each is tested on its own. */
export interface AcquireDeps {
  store: Pick<CacheStore, "tryLock" | "markUsed">;
  /** Builds are serialised per engine. */
  engineId(): Promise<string>;
  findFresh(key: EnvironmentKey, ttlMs: number): Promise<FreshLookup>;
  missReason(key: EnvironmentKey): Promise<string>;
  newBuild(key: EnvironmentKey, lock: CacheLock): EnvironmentBuild;
  now: () => number;
  /** Waits before looking again while someone else builds the key; rejects when the signal aborts. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * A fresh cached environment for the key (a hit), or the right to build one (a miss). While another task builds the
 * same key on this engine, waits for it and then uses its result.
 */
export async function acquireEnvironment(
  deps: AcquireDeps,
  key: EnvironmentKey,
  { ttlMs, signal }: { ttlMs: number; signal: AbortSignal },
): Promise<CacheLookup> {
  const { wait = abortableSleep } = deps;
  const lockName = `${await deps.engineId()}:${key.key}`;
  let expired = false;
  for (;;) {
    signal.throwIfAborted();
    const found = await deps.findFresh(key, ttlMs);
    expired ||= found.expired === true;
    if (found.environment) return hit(deps, found.environment);
    const lock = await deps.store.tryLock(lockName, LOCK_TTL_MS);
    if (lock) return lookUnderLock(deps, key, lock, { ttlMs, expired });
    await wait(LOCK_POLL_MS, signal);
  }
}

/** Whoever held the lock before may have saved the environment between the first look and taking the lock. */
async function lookUnderLock(
  deps: AcquireDeps,
  key: EnvironmentKey,
  lock: CacheLock,
  { ttlMs, expired }: { ttlMs: number; expired: boolean },
): Promise<CacheLookup> {
  const again = await deps.findFresh(key, ttlMs).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  if (again.environment) {
    await lock.release();
    return hit(deps, again.environment);
  }
  const reason = expired
    ? `the cached environment expired (\`environment.cache.ttl\`: ${formatDuration(ttlMs)})`
    : await deps.missReason(key).catch(() => "no usable cached environment");
  return { hit: false, reason, build: deps.newBuild(key, lock) };
}

async function hit(deps: AcquireDeps, environment: CachedEnvironment): Promise<CacheLookup> {
  await deps.store.markUsed(environment.imageId, deps.now());
  return { hit: true, environment };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
