import type { CacheKey } from "./cache-key.js";
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

export interface SnapshotFacts {
  ttlMs: number;
  commit: string;
  baseSize: number;
}

/** The right to build a key's environment; other tasks that want the same key wait until it is released. */
export interface EnvironmentBuild {
  /** Commits the prepared sandbox; later lookups of the key find it until it expires. */
  save(sandbox: Sandbox, facts: SnapshotFacts): Promise<CachedEnvironment>;
  /** Call once, however the build ended. */
  release(): Promise<void>;
}

export function snapshotTag(key: CacheKey): string {
  return `${SNAPSHOT_REPOSITORY}:${key.key}`;
}

/** The labels that find a namespace's snapshots among every image of the engine. */
export function ownSnapshotLabels(namespace: string): string[] {
  return [`${SNAPSHOT_LABELS.namespace}=${namespace}`, SNAPSHOT_LABELS.key];
}

/** What a snapshot records about itself: everything a lookup, a miss reason or a sweep reads back. */
export function snapshotLabels(
  key: EnvironmentKey,
  namespace: string,
  facts: SnapshotFacts,
  createdAt: number,
): Record<string, string> {
  return {
    [MANAGED_LABEL]: "true",
    [SNAPSHOT_LABELS.key]: key.key,
    [SNAPSHOT_LABELS.parts]: JSON.stringify(key.parts),
    [SNAPSHOT_LABELS.repository]: key.repository,
    [SNAPSHOT_LABELS.generation]: String(key.generation),
    [SNAPSHOT_LABELS.createdAt]: String(createdAt),
    [SNAPSHOT_LABELS.expiresAt]: String(createdAt + facts.ttlMs),
    [SNAPSHOT_LABELS.baseSize]: String(facts.baseSize),
    [SNAPSHOT_LABELS.commit]: facts.commit,
    [SNAPSHOT_LABELS.namespace]: namespace,
  };
}

/** The build right for a key whose lock this task holds: it snapshots the sandbox and releases the lock once. */
export function createEnvironmentBuild(
  key: EnvironmentKey,
  lock: CacheLock,
  deps: { store: Pick<CacheStore, "namespace" | "markUsed">; now: () => number },
): EnvironmentBuild {
  let released = false;
  return {
    async save(sandbox, facts) {
      const createdAt = deps.now();
      const labels = snapshotLabels(key, deps.store.namespace, facts, createdAt);
      const imageId = await sandbox.snapshot({ tag: snapshotTag(key), labels });
      await deps.store.markUsed(imageId, createdAt);
      return { imageId, createdAt, commit: facts.commit };
    },
    async release() {
      if (released) return;
      released = true;
      await lock.release();
    },
  };
}
