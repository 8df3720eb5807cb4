import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/** Larger than any real manifest or lockfile. */
export const MAX_CHECKOUT_FILE_BYTES = 32 * 1024 * 1024;

export class CheckoutFileError extends Error {
  constructor(path: string, why: string) {
    super(
      `\`${path}\` in the repository ${why}: Taskbox reads only regular files of at most ${MAX_CHECKOUT_FILE_BYTES / 1024 / 1024} MiB from a checkout`,
    );
    this.name = "CheckoutFileError";
  }
}

/**
 * Reads a file of a checkout on the host, or undefined when there is none (or a directory) at that path. The checkout
 * is the repository's, so the file may be a symbolic link to a host file or a device: it is opened without following
 * links (and without blocking on a FIFO), and only a regular file within the size cap is read.
 */
export async function readCheckoutFile(dir: string, path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(join(dir, path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw new CheckoutFileError(path, "is a symbolic link");
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) return undefined;
    if (!stats.isFile()) throw new CheckoutFileError(path, "is not a regular file");
    if (stats.size > MAX_CHECKOUT_FILE_BYTES) throw new CheckoutFileError(path, `is ${stats.size} bytes`);
    const content = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(content, 0, stats.size, 0);
    return content.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
