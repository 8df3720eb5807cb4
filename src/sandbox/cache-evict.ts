import type { Logger } from "pino";
import type { CacheStore } from "../queue/cache-store.js";
import { SNAPSHOT_LABELS, SNAPSHOT_REPOSITORY, ownSnapshotLabels } from "./cache-snapshot.js";
import { removeSnapshot } from "./cache-lookup.js";
import type { ListedImage, SnapshotImages } from "./snapshot-images.js";

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

/** Reads a snapshot image's labels as an eviction entry; an image never used counts as used when it was made. */
export function toSnapshotEntry(image: ListedImage, lastUsed: number | undefined): SnapshotEntry {
  const { labels } = image;
  const createdAt = Number(labels[SNAPSHOT_LABELS.createdAt]) || 0;
  return {
    id: image.id,
    repository: labels[SNAPSHOT_LABELS.repository] ?? "",
    generation: Number(labels[SNAPSHOT_LABELS.generation]) || 0,
    expiresAt: Number(labels[SNAPSHOT_LABELS.expiresAt]) || 0,
    lastUsed: lastUsed ?? createdAt,
    sizeBytes: Math.max(0, image.size - (Number(labels[SNAPSHOT_LABELS.baseSize]) || 0)),
    tagged: image.tags.some((tag) => tag.startsWith(`${SNAPSHOT_REPOSITORY}:`)),
  };
}

export interface SweepDeps {
  images: SnapshotImages;
  store: Pick<CacheStore, "namespace" | "generations" | "lastUsed" | "forget">;
  maxBytes: number;
  now: () => number;
  log: Logger;
}

/** Removes expired, reset, superseded and (past maxBytes) least recently used environments; returns their ids. */
export async function sweepSnapshots(deps: SweepDeps): Promise<string[]> {
  const { images, store } = deps;
  const snapshots = await images.list(ownSnapshotLabels(store.namespace));
  const repositories = [...new Set(snapshots.map((image) => image.labels[SNAPSHOT_LABELS.repository] ?? ""))];
  const [generations, lastUsed] = await Promise.all([
    store.generations(repositories),
    store.lastUsed(snapshots.map((image) => image.id)),
  ]);
  const entries = snapshots.map((image) => toSnapshotEntry(image, lastUsed.get(image.id)));
  const removed: string[] = [];
  for (const eviction of planEvictions(entries, { now: deps.now(), maxBytes: deps.maxBytes, generations })) {
    if (await removeSnapshot(deps, eviction.id)) {
      removed.push(eviction.id);
      deps.log.info({ imageId: eviction.id, reason: eviction.reason }, "removed a cached environment");
    }
  }
  return removed;
}
