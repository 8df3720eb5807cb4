import { spawn } from "node:child_process";

export type LockMode = "shared" | "exclusive";

/**
 * Holds a flock(2) lock on `file` until the returned release is called. The lock lives in a small `flock` process whose
 * stdin this process holds: it is released when the process is told to end or when Taskbox itself dies, so a crashed
 * worker never leaves a mirror locked. Several readers may share a lock; a writer waits for all of them.
 * `wait: false` resolves undefined at once when the lock is taken.
 */
export function acquireFileLock(
  file: string,
  mode: LockMode,
  options: { wait?: boolean } = {},
): Promise<(() => Promise<void>) | undefined> {
  const flags = [`--${mode}`, ...(options.wait === false ? ["--nonblock", "--conflict-exit-code", "75"] : [])];
  const child = spawn("flock", [...flags, file, "sh", "-c", "echo locked; exec cat >/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.stdout.once("data", () =>
      resolve(async () => {
        child.stdin.end();
        await exited;
      }),
    );
    void exited.then((code) => {
      if (code === 75) resolve(undefined);
      else reject(new Error(`could not lock ${file} (flock exited ${code}): ${stderr.trim()}`));
    });
  });
}

/** Runs work while holding the lock. */
export async function withFileLock<T>(file: string, mode: LockMode, work: () => Promise<T>): Promise<T> {
  const release = (await acquireFileLock(file, mode))!;
  try {
    return await work();
  } finally {
    await release();
  }
}
