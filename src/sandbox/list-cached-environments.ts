import type Docker from "dockerode";
import type { CacheStore } from "../queue/cache-store.js";
import { SNAPSHOT_LABELS } from "./environment-cache.js";

export interface CachedEnvironmentSummary {
  repository: string;
  /** What the environment adds to its base image. */
  sizeBytes: number;
  lastUsed: number;
}

/** The cached environments of this installation on one Docker engine, most recently used first (for /admin). */
export async function listCachedEnvironments(docker: Docker, store: CacheStore): Promise<CachedEnvironmentSummary[]> {
  const images = await docker.listImages({
    filters: { label: [`${SNAPSHOT_LABELS.namespace}=${store.namespace}`, SNAPSHOT_LABELS.key] },
  });
  const lastUsed = await store.lastUsed(images.map((image) => image.Id));
  return images
    .map((image) => {
      const labels = image.Labels ?? {};
      return {
        repository: labels[SNAPSHOT_LABELS.repository] ?? "",
        sizeBytes: Math.max(0, image.Size - (Number(labels[SNAPSHOT_LABELS.baseSize]) || 0)),
        lastUsed: lastUsed.get(image.Id) ?? (Number(labels[SNAPSHOT_LABELS.createdAt]) || 0),
      };
    })
    .sort((a, b) => b.lastUsed - a.lastUsed);
}
