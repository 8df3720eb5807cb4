import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { acquireFileLock } from "./file-lock.js";

const WATCH_INTERVAL_MS = 250;

/** Bytes of the files under dir (0 when it does not exist). */
export async function directoryBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (info) => info.size,
        () => 0,
      );
  }
  return total;
}

/** Calls onExceeded once dir holds more than limitBytes, checking a few times a second until stopped. */
export function watchSize(dir: string, limitBytes: number, onExceeded: () => void): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    if (stopped) return;
    if ((await directoryBytes(dir)) > limitBytes) {
      onExceeded();
      return;
    }
    if (!stopped) timer = setTimeout(() => void check(), WATCH_INTERVAL_MS);
  };
  timer = setTimeout(() => void check(), WATCH_INTERVAL_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Removes the least recently used mirrors under root (`<owner>/<repo>.git`, used = modified) until they fit in
 * maxBytes, never `keep`, and never one that a task is fetching or cloning from (its lock is taken).
 */
export async function evictMirrors(root: string, maxBytes: number, keep: string): Promise<string[]> {
  const mirrors = await listMirrors(root);
  let total = mirrors.reduce((sum, mirror) => sum + mirror.bytes, 0);
  const removed: string[] = [];
  for (const mirror of mirrors.sort((a, b) => a.usedAt - b.usedAt)) {
    if (total <= maxBytes) break;
    if (mirror.path === keep) continue;
    const release = await acquireFileLock(`${mirror.path}.lock`, "exclusive", { wait: false });
    if (!release) continue;
    try {
      await rm(mirror.path, { recursive: true, force: true });
    } finally {
      await release();
    }
    total -= mirror.bytes;
    removed.push(mirror.path);
  }
  return removed;
}

async function listMirrors(root: string): Promise<Array<{ path: string; bytes: number; usedAt: number }>> {
  const mirrors = [];
  for (const owner of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!owner.isDirectory()) continue;
    for (const repo of await readdir(join(root, owner.name), { withFileTypes: true })) {
      if (!repo.isDirectory() || !repo.name.endsWith(".git")) continue;
      const path = join(root, owner.name, repo.name);
      mirrors.push({ path, bytes: await directoryBytes(path), usedAt: (await stat(path)).mtimeMs });
    }
  }
  return mirrors;
}
