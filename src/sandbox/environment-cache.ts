import type Docker from "dockerode";
import type { Logger } from "pino";
import { formatDuration } from "../config/duration.js";
import { changedParts, computeCacheKey, describeKeyChange, type CacheKey, type CacheKeyInput } from "./cache-key.js";
import type { CacheLock, CacheStore } from "../queue/cache-store.js";
import { MANAGED_LABEL, type Sandbox } from "./types.js";

/** Cached environments are images `taskbox-env:<key>`, one per key. */
export const SNAPSHOT_REPOSITORY = "taskbox-env";

export const SNAPSHOT_LABELS = {
  key: "taskbox.cache-key",
  parts: "taskbox.cache-parts",
  repository: "taskbox.repo",
  generation: "taskbox.generation",
  createdAt: "taskbox.created-at",
  expiresAt: "taskbox.expires-at",
  baseSize: "taskbox.base-size",
  commit: "taskbox.commit",
  /** The installation's cache namespace (its queue prefix): a sweep only ever touches its own snapshots. */
  namespace: "taskbox.cache-namespace",
} as const;

const LOCK_TTL_MS = 30_000;
const LOCK_POLL_MS = 250;

export interface ImageFacts {
  id: string;
  labels: Record<string, string>;
  size: number;
}

/** A cache key with what the snapshot records next to it. */
export interface EnvironmentKey extends CacheKey {
  repository: string;
  generation: number;
}

export interface CachedEnvironment {
  imageId: string;
  createdAt: number;
  /** The commit the setup script ran on. */
  commit: string | undefined;
}

export type CacheLookup =
  { hit: true; environment: CachedEnvironment } | { hit: false; reason: string; build: EnvironmentBuild };

/** The right to build a key's environment; other tasks that want the same key wait until it is released. */
export interface EnvironmentBuild {
  /** Commits the prepared sandbox; later lookups of the key find it until it expires. */
  save(sandbox: Sandbox, facts: { ttlMs: number; commit: string; baseSize: number }): Promise<CachedEnvironment>;
  /** Call once, however the build ended. */
  release(): Promise<void>;
}

export interface EnvironmentCache {
  /** undefined when the image is not on this Docker engine. */
  inspectImage(image: string): Promise<ImageFacts | undefined>;
  keyFor(input: Omit<CacheKeyInput, "generation">): Promise<EnvironmentKey>;
  /**
   * A fresh cached environment for the key (a hit), or the right to build one (a miss). While another task builds the
   * same key on this engine, waits for it and then uses its result.
   */
  acquire(key: EnvironmentKey, options: { ttlMs: number; signal: AbortSignal }): Promise<CacheLookup>;
  /** Drops an environment that turned out unusable. */
  discard(imageId: string): Promise<void>;
  /** Removes expired, reset, superseded and (past maxBytes) least recently used environments; returns their ids. */
  sweep(): Promise<string[]>;
  /** Runs sweep() in the background now, without waiting for it; errors are logged. */
  sweepSoon(): void;
  /** Sweeps every intervalMs until close(). */
  startSweeping(intervalMs: number): void;
  /** Stops periodic sweeps and waits for a running one. */
  close(): Promise<void>;
  /** Removes every cached environment of this namespace that no container uses. */
  clear(): Promise<void>;
}

export interface EnvironmentCacheOptions {
  docker: Docker;
  store: CacheStore;
  /** Cap on the disk the cached environments take (their own layers, without the base image). */
  maxBytes: number;
  log: Logger;
  now?: () => number;
}

export function createEnvironmentCache(options: EnvironmentCacheOptions): EnvironmentCache {
  const { docker, store, maxBytes, now = Date.now } = options;
  const log = options.log.child({ component: "environment-cache" });
  let engineId: Promise<string> | undefined;
  let sweeping: Promise<string[]> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const ownSnapshots = [`${SNAPSHOT_LABELS.namespace}=${store.namespace}`, SNAPSHOT_LABELS.key];
  // Builds are serialised per Docker engine: workers on other engines need their own copy anyway.
  const engine = () => (engineId ??= docker.info().then((info: { ID?: string }) => info.ID ?? "default"));

  async function inspectImage(image: string): Promise<ImageFacts | undefined> {
    const info = await ignoring404(docker.getImage(image).inspect());
    return info && { id: info.Id, labels: info.Config?.Labels ?? {}, size: info.Size };
  }

  /** Removes an image unless a container still uses it (then a later sweep does); true when it is gone. */
  async function removeImage(id: string): Promise<boolean> {
    try {
      await docker.getImage(id).remove();
    } catch (error) {
      const statusCode = (error as { statusCode?: unknown }).statusCode;
      if (statusCode === 409) return false;
      if (statusCode !== 404) throw error;
    }
    await store.forget([id]);
    return true;
  }

  async function findFresh(
    key: EnvironmentKey,
    ttlMs: number,
  ): Promise<{ environment?: CachedEnvironment; expired?: true }> {
    const image = await inspectImage(`${SNAPSHOT_REPOSITORY}:${key.key}`);
    if (!image || image.labels[SNAPSHOT_LABELS.key] !== key.key) return {};
    const createdAt = Number(image.labels[SNAPSHOT_LABELS.createdAt]);
    // The TTL of the config in force now also applies, so shortening it takes effect at once.
    const expiresAt = Math.min(Number(image.labels[SNAPSHOT_LABELS.expiresAt]), createdAt + ttlMs);
    if (!(now() < expiresAt)) {
      await removeImage(image.id);
      return { expired: true };
    }
    return { environment: { imageId: image.id, createdAt, commit: image.labels[SNAPSHOT_LABELS.commit] } };
  }

  /** What differs from the repository's closest cached environment (the newest of the closest, on a tie). */
  async function missReason(key: EnvironmentKey): Promise<string> {
    const images = await docker.listImages({
      filters: { label: [...ownSnapshots, `${SNAPSHOT_LABELS.repository}=${key.repository}`] },
    });
    const candidates = images.map((image) => {
      let parts: Record<string, string> = {};
      try {
        parts = JSON.parse(image.Labels?.[SNAPSHOT_LABELS.parts] ?? "{}") as Record<string, string>;
      } catch {
        // An unreadable record reads as "everything changed".
      }
      return {
        parts,
        changed: changedParts(key.parts, parts).length,
        createdAt: Number(image.Labels?.[SNAPSHOT_LABELS.createdAt]),
      };
    });
    const closest = candidates.sort((a, b) => a.changed - b.changed || b.createdAt - a.createdAt)[0];
    return closest ? describeKeyChange(key.parts, closest.parts) : "no cached environment yet";
  }

  function buildFor(key: EnvironmentKey, lock: CacheLock): EnvironmentBuild {
    let released = false;
    return {
      async save(sandbox, facts) {
        const createdAt = now();
        const labels = {
          [MANAGED_LABEL]: "true",
          [SNAPSHOT_LABELS.key]: key.key,
          [SNAPSHOT_LABELS.parts]: JSON.stringify(key.parts),
          [SNAPSHOT_LABELS.repository]: key.repository,
          [SNAPSHOT_LABELS.generation]: String(key.generation),
          [SNAPSHOT_LABELS.createdAt]: String(createdAt),
          [SNAPSHOT_LABELS.expiresAt]: String(createdAt + facts.ttlMs),
          [SNAPSHOT_LABELS.baseSize]: String(facts.baseSize),
          [SNAPSHOT_LABELS.commit]: facts.commit,
          [SNAPSHOT_LABELS.namespace]: store.namespace,
        };
        const imageId = await sandbox.snapshot({ tag: `${SNAPSHOT_REPOSITORY}:${key.key}`, labels });
        await store.markUsed(imageId, createdAt);
        return { imageId, createdAt, commit: facts.commit };
      },
      async release() {
        if (released) return;
        released = true;
        await lock.release();
      },
    };
  }

  async function sweep(): Promise<string[]> {
    const images = await docker.listImages({ filters: { label: ownSnapshots } });
    const repositories = [...new Set(images.map((image) => image.Labels?.[SNAPSHOT_LABELS.repository] ?? ""))];
    const [generations, lastUsed] = await Promise.all([
      store.generations(repositories),
      store.lastUsed(images.map((image) => image.Id)),
    ]);
    const entries: SnapshotEntry[] = images.map((image) => {
      const labels = image.Labels ?? {};
      const createdAt = Number(labels[SNAPSHOT_LABELS.createdAt]) || 0;
      return {
        id: image.Id,
        repository: labels[SNAPSHOT_LABELS.repository] ?? "",
        generation: Number(labels[SNAPSHOT_LABELS.generation]) || 0,
        expiresAt: Number(labels[SNAPSHOT_LABELS.expiresAt]) || 0,
        lastUsed: lastUsed.get(image.Id) ?? createdAt,
        sizeBytes: Math.max(0, image.Size - (Number(labels[SNAPSHOT_LABELS.baseSize]) || 0)),
        tagged: (image.RepoTags ?? []).some((tag) => tag.startsWith(`${SNAPSHOT_REPOSITORY}:`)),
      };
    });
    const removed: string[] = [];
    for (const eviction of planEvictions(entries, { now: now(), maxBytes, generations })) {
      if (await removeImage(eviction.id)) {
        removed.push(eviction.id);
        log.info({ imageId: eviction.id, reason: eviction.reason }, "removed a cached environment");
      }
    }
    return removed;
  }

  function sweepOnce(): Promise<string[]> {
    sweeping ??= sweep().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  function sweepSoon(): void {
    sweepOnce().catch((error: unknown) => log.warn({ err: error }, "sweeping the environment cache failed"));
  }

  return {
    inspectImage,
    async keyFor(input) {
      const [salt, generation] = await Promise.all([store.salt(), store.generation(input.repository)]);
      return { ...computeCacheKey({ ...input, generation }, salt), repository: input.repository, generation };
    },
    async acquire(key, { ttlMs, signal }) {
      const lockName = `${await engine()}:${key.key}`;
      let expired = false;
      for (;;) {
        signal.throwIfAborted();
        const found = await findFresh(key, ttlMs);
        expired ||= found.expired === true;
        if (found.environment) {
          await store.markUsed(found.environment.imageId, now());
          return { hit: true, environment: found.environment };
        }
        const lock = await store.tryLock(lockName, LOCK_TTL_MS);
        if (lock) {
          // Whoever held the lock before may have saved the environment between the look above and now.
          const again = await findFresh(key, ttlMs).catch(async (error: unknown) => {
            await lock.release();
            throw error;
          });
          if (again.environment) {
            await lock.release();
            await store.markUsed(again.environment.imageId, now());
            return { hit: true, environment: again.environment };
          }
          const reason = expired
            ? `the cached environment expired (\`environment.cache.ttl\`: ${formatDuration(ttlMs)})`
            : await missReason(key).catch(() => "no usable cached environment");
          return { hit: false, reason, build: buildFor(key, lock) };
        }
        await sleep(LOCK_POLL_MS, signal);
      }
    },
    async discard(imageId) {
      await removeImage(imageId);
    },
    sweep: sweepOnce,
    sweepSoon,
    startSweeping(intervalMs) {
      if (timer) return;
      sweepSoon();
      timer = setInterval(sweepSoon, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sweeping?.catch(() => undefined);
    },
    async clear() {
      await sweeping?.catch(() => undefined);
      for (const image of await docker.listImages({ filters: { label: ownSnapshots } })) await removeImage(image.Id);
    },
  };
}

export interface SnapshotEntry {
  id: string;
  repository: string;
  generation: number;
  expiresAt: number;
  lastUsed: number;
  sizeBytes: number;
  /** false once a newer snapshot of the same key took over its tag. */
  tagged: boolean;
}

export type EvictionReason = "expired" | "reset" | "superseded" | "over the size cap";

/**
 * What a sweep removes: every entry that can no longer be hit, then the least recently used ones until the rest fits
 * in maxBytes.
 */
export function planEvictions(
  entries: SnapshotEntry[],
  context: { now: number; maxBytes: number; generations: Map<string, number> },
): Array<{ id: string; reason: EvictionReason }> {
  const plan: Array<{ id: string; reason: EvictionReason }> = [];
  const kept: SnapshotEntry[] = [];
  for (const entry of entries) {
    if (context.now >= entry.expiresAt) plan.push({ id: entry.id, reason: "expired" });
    else if (entry.generation < (context.generations.get(entry.repository) ?? 0))
      plan.push({ id: entry.id, reason: "reset" });
    else if (!entry.tagged) plan.push({ id: entry.id, reason: "superseded" });
    else kept.push(entry);
  }
  let total = kept.reduce((sum, entry) => sum + entry.sizeBytes, 0);
  for (const entry of kept.sort((a, b) => a.lastUsed - b.lastUsed)) {
    if (total <= context.maxBytes) break;
    plan.push({ id: entry.id, reason: "over the size cap" });
    total -= entry.sizeBytes;
  }
  return plan;
}

async function ignoring404<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw error;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
