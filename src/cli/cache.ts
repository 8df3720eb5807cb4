import type Docker from "dockerode";
import { formatDuration } from "../config/duration.js";
import { SNAPSHOT_LABELS, type EnvironmentCache } from "../sandbox/environment-cache.js";

const GIB = 1024 ** 3;

/** The cached environments of this installation (its queue prefix) on this Docker engine, newest first. */
export async function listCache(docker: Pick<Docker, "listImages">, namespace: string, now = Date.now()) {
  const images = await docker.listImages({
    filters: { label: [`${SNAPSHOT_LABELS.namespace}=${namespace}`, SNAPSHOT_LABELS.key] },
  });
  const rows = images
    .map((image) => ({ image, labels: image.Labels ?? {} }))
    .sort((a, b) => Number(b.labels[SNAPSHOT_LABELS.createdAt]) - Number(a.labels[SNAPSHOT_LABELS.createdAt]));
  if (rows.length === 0) return ["no cached environments"];
  return rows.map(({ image, labels }) => {
    const expiresIn = Number(labels[SNAPSHOT_LABELS.expiresAt]) - now;
    const ownBytes = image.Size - (Number(labels[SNAPSHOT_LABELS.baseSize]) || 0);
    return [
      image.Id.replace(/^sha256:/, "").slice(0, 12),
      labels[SNAPSHOT_LABELS.repository] ?? "?",
      `commit ${(labels[SNAPSHOT_LABELS.commit] ?? "?").slice(0, 8)}`,
      expiresIn > 0 ? `expires in ${formatDuration(expiresIn)}` : "expired",
      `${(Math.max(0, ownBytes) / GIB).toFixed(2)} GiB`,
    ].join("  ");
  });
}

/** The workers' own sweep (expired, reset, superseded, over the size cap), or with `all` every unused environment. */
export async function pruneCache(cache: EnvironmentCache, all: boolean): Promise<string> {
  if (all) {
    await cache.clear();
    return "removed every cached environment that no container uses";
  }
  const removed = await cache.sweep();
  return removed.length === 0 ? "nothing to prune" : `removed ${removed.length} cached environment(s)`;
}
