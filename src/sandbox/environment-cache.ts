import type Docker from "dockerode";
import type { Logger } from "pino";
import { computeCacheKey, type CacheKeyInput } from "./cache-key.js";
import { acquireEnvironment, type CacheLookup } from "./cache-lock.js";
import { findFresh, missReason, removeSnapshot } from "./cache-lookup.js";
import { createEnvironmentBuild, ownSnapshotLabels, type EnvironmentKey } from "./cache-snapshot.js";
import { sweepSnapshots } from "./cache-evict.js";
import type { CacheStore } from "../queue/cache-store.js";
import { dockerSnapshotImages, type ImageFacts, type SnapshotImages } from "./snapshot-images.js";

export type { CacheLookup } from "./cache-lock.js";
export type { CachedEnvironment, EnvironmentBuild, EnvironmentKey } from "./cache-snapshot.js";
export { SNAPSHOT_LABELS, SNAPSHOT_REPOSITORY } from "./cache-snapshot.js";
export type { ImageFacts } from "./snapshot-images.js";

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
  /** The engine's images; by default those of `docker`. */
  images?: SnapshotImages;
}

export function createEnvironmentCache(options: EnvironmentCacheOptions): EnvironmentCache {
  const { store, maxBytes, now = Date.now, images = dockerSnapshotImages(options.docker) } = options;
  const log = options.log.child({ component: "environment-cache" });
  const lookup = { images, store, now };
  const sweeper = createSweeper(() => sweepSnapshots({ images, store, maxBytes, now, log }), log);

  return {
    inspectImage: (image) => images.inspect(image),
    async keyFor(input) {
      const [salt, generation] = await Promise.all([store.salt(), store.generation(input.repository)]);
      return { ...computeCacheKey({ ...input, generation }, salt), repository: input.repository, generation };
    },
    acquire: (key, acquireOptions) =>
      acquireEnvironment(
        {
          store,
          now,
          engineId: () => images.engineId(),
          findFresh: (wanted, ttlMs) => findFresh(lookup, wanted, ttlMs),
          missReason: (wanted) => missReason(lookup, wanted),
          newBuild: (wanted, lock) => createEnvironmentBuild(wanted, lock, { store, now }),
        },
        key,
        acquireOptions,
      ),
    async discard(imageId) {
      await removeSnapshot(lookup, imageId);
    },
    ...sweeper,
    async clear() {
      await sweeper.settled();
      for (const image of await images.list(ownSnapshotLabels(store.namespace))) await removeSnapshot(lookup, image.id);
    },
  };
}

interface Sweeper extends Pick<EnvironmentCache, "sweep" | "sweepSoon" | "startSweeping" | "close"> {
  /** Waits for a running sweep, whatever its outcome. */
  settled(): Promise<void>;
}

/** Runs one sweep at a time: a sweep asked for while one runs shares its result. */
export function createSweeper(sweep: () => Promise<string[]>, log: Logger): Sweeper {
  let sweeping: Promise<string[]> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  const sweepOnce = (): Promise<string[]> =>
    (sweeping ??= sweep().finally(() => {
      sweeping = undefined;
    }));
  const sweepSoon = (): void => {
    sweepOnce().catch((error: unknown) => log.warn({ err: error }, "sweeping the environment cache failed"));
  };
  const settled = async (): Promise<void> => {
    await sweeping?.catch(() => undefined);
  };
  return {
    sweep: sweepOnce,
    sweepSoon,
    settled,
    startSweeping(intervalMs) {
      if (timer) return;
      sweepSoon();
      timer = setInterval(sweepSoon, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await settled();
    },
  };
}
