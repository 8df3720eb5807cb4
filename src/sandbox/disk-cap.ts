import type Docker from "dockerode";
import type { Logger } from "pino";

/** A sandbox wrote more than TASKBOX_SANDBOX_DISK; it was stopped, and every later command fails with this. */
export class SandboxDiskLimitError extends Error {
  constructor(
    readonly usedBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `the sandbox wrote ${formatBytes(usedBytes)} to disk, more than its limit of ${formatBytes(limitBytes)} ` +
        "(TASKBOX_SANDBOX_DISK), and was stopped",
    );
    this.name = "SandboxDiskLimitError";
  }
}

export interface DiskWatch {
  /** Throws the SandboxDiskLimitError once the sandbox went over its limit. */
  throwIfExceeded(): void;
  stop(): void;
}

/**
 * Caps the disk space a sandbox's writable layer (the checkout, dependencies, build output) may use. Where the
 * storage driver supports it (overlay2 on xfs mounted with pquota, btrfs, zfs, devicemapper), Docker enforces a
 * quota and writes past it fail with ENOSPC. Elsewhere (overlay2 on ext4, the common case) a watch polls the
 * container's size and stops the container once it is over the limit: a fast writer can overshoot by what it
 * writes in one interval, but nothing fills the host for long. The engine's answer is remembered, so only the
 * first sandbox pays for finding out.
 */
export class DiskCap {
  readonly #limitBytes: number;
  readonly #checkIntervalMs: number;
  readonly #log: Logger;
  #quotaSupported: boolean | undefined;

  constructor(options: { limitBytes: number; checkIntervalMs: number; log: Logger }) {
    this.#limitBytes = options.limitBytes;
    this.#checkIntervalMs = options.checkIntervalMs;
    this.#log = options.log;
  }

  /** Creates the container with a size quota where the engine can enforce one. */
  async createContainer(
    docker: Docker,
    options: Docker.ContainerCreateOptions,
  ): Promise<{ container: Docker.Container; quota: boolean }> {
    if (this.#quotaSupported !== false) {
      const withQuota = {
        ...options,
        HostConfig: { ...options.HostConfig, StorageOpt: { size: String(this.#limitBytes) } },
      };
      try {
        const container = await docker.createContainer(withQuota);
        this.#quotaSupported = true;
        return { container, quota: true };
      } catch (error) {
        if (!isStorageOptUnsupported(error)) throw error;
        this.#quotaSupported = false;
        this.#log.warn(
          { reason: (error as Error).message, checkIntervalMs: this.#checkIntervalMs },
          "the storage driver cannot cap a container's disk use; TASKBOX_SANDBOX_DISK is enforced by polling instead",
        );
      }
    }
    return { container: await docker.createContainer(options), quota: false };
  }

  /** Polls the writable layer's size and kills the container once it is over the limit. */
  watch(container: Docker.Container, log: Logger): DiskWatch {
    let exceeded: SandboxDiskLimitError | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const check = async () => {
      try {
        // Docker computes SizeRw by walking the writable layer, so this is not free: hence the interval.
        const info = (await container.inspect({ size: true } as Docker.ContainerInspectOptions)) as { SizeRw?: number };
        const used = info.SizeRw ?? 0;
        if (used > this.#limitBytes && !stopped) {
          exceeded = new SandboxDiskLimitError(used, this.#limitBytes);
          stopped = true;
          log.warn({ usedBytes: used, limitBytes: this.#limitBytes }, "sandbox over its disk limit: stopping it");
          await container
            .kill()
            .catch((error: unknown) => log.warn({ err: error }, "could not stop a sandbox over its disk limit"));
          return;
        }
      } catch (error) {
        // Gone (removed, or the engine restarted): nothing left to watch.
        log.debug({ err: error }, "disk watch ended");
        stopped = true;
        return;
      }
      if (!stopped) timer = setTimeout(() => void check(), this.#checkIntervalMs);
    };
    timer = setTimeout(() => void check(), this.#checkIntervalMs);
    return {
      throwIfExceeded() {
        if (exceeded) throw exceeded;
      },
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }
}

/** Docker's answer when the storage driver cannot put a size quota on a container. */
export function isStorageOptUnsupported(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /storage-?opt|storage ?option|pquota|quota/i.test(message);
}

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
