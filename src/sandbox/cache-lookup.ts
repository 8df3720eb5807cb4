import { changedParts, describeKeyChange } from "./cache-key.js";
import type { CacheStore } from "../queue/cache-store.js";
import {
  SNAPSHOT_LABELS,
  ownSnapshotLabels,
  snapshotTag,
  type CachedEnvironment,
  type EnvironmentKey,
} from "./cache-snapshot.js";
import type { SnapshotImages } from "./snapshot-images.js";

export interface LookupDeps {
  images: SnapshotImages;
  store: Pick<CacheStore, "namespace" | "forget">;
  now: () => number;
}

export interface FreshLookup {
  environment?: CachedEnvironment;
  /** The key's snapshot was there but had expired; it is removed. */
  expired?: true;
}

/** The key's snapshot if it is still fresh under the TTL of the config in force now; removes it once expired. */
export async function findFresh(deps: LookupDeps, key: EnvironmentKey, ttlMs: number): Promise<FreshLookup> {
  const image = await deps.images.inspect(snapshotTag(key));
  if (!image || image.labels[SNAPSHOT_LABELS.key] !== key.key) return {};
  const createdAt = Number(image.labels[SNAPSHOT_LABELS.createdAt]);
  // The TTL of the config in force now also applies, so shortening it takes effect at once.
  const expiresAt = Math.min(Number(image.labels[SNAPSHOT_LABELS.expiresAt]), createdAt + ttlMs);
  if (!(deps.now() < expiresAt)) {
    await removeSnapshot(deps, image.id);
    return { expired: true };
  }
  return { environment: { imageId: image.id, createdAt, commit: image.labels[SNAPSHOT_LABELS.commit] } };
}

/** Removes a snapshot unless a container still uses it (then a later sweep does); true when it is gone. */
export async function removeSnapshot(deps: Pick<LookupDeps, "images" | "store">, imageId: string): Promise<boolean> {
  if (!(await deps.images.remove(imageId))) return false;
  await deps.store.forget([imageId]);
  return true;
}

/** What differs from the repository's closest cached environment (the newest of the closest, on a tie). */
export async function missReason(deps: Pick<LookupDeps, "images" | "store">, key: EnvironmentKey): Promise<string> {
  const images = await deps.images.list([
    ...ownSnapshotLabels(deps.store.namespace),
    `${SNAPSHOT_LABELS.repository}=${key.repository}`,
  ]);
  const candidates = images.map((image) => {
    const parts = recordedParts(image.labels[SNAPSHOT_LABELS.parts]);
    return {
      parts,
      changed: changedParts(key.parts, parts).length,
      createdAt: Number(image.labels[SNAPSHOT_LABELS.createdAt]),
    };
  });
  const closest = candidates.sort((a, b) => a.changed - b.changed || b.createdAt - a.createdAt)[0];
  return closest ? describeKeyChange(key.parts, closest.parts) : "no cached environment yet";
}

function recordedParts(label: string | undefined): Record<string, string> {
  try {
    return JSON.parse(label ?? "{}") as Record<string, string>;
  } catch {
    // An unreadable record reads as "everything changed".
    return {};
  }
}
