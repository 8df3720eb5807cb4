import type Docker from "dockerode";
import type { Logger } from "pino";
import type { DiskCap, DiskWatch } from "./disk-cap.js";

/** Settings every sandbox of a factory gets, on top of the fixed defaults in docker-sandbox.ts (docs/operations.md). */
export interface SandboxHardening {
  /** An OCI runtime registered with dockerd, such as runsc (gVisor); the engine's default runtime when undefined. */
  runtime?: string;
  /** Cap on the disk space a sandbox may write; none when undefined. */
  diskCap?: DiskCap;
  /** Labels for every sandbox, such as the queue it belongs to, so that an orphan reaper only sees its own. */
  labels?: Record<string, string>;
}

/** Creates a container with the factory's runtime and disk cap; the watch is there when the cap must be polled. */
export async function createHardenedContainer(
  docker: Docker,
  hardening: SandboxHardening,
  log: Logger,
  options: Docker.ContainerCreateOptions,
): Promise<{ container: Docker.Container; diskWatch?: DiskWatch }> {
  const withRuntime = hardening.runtime
    ? { ...options, HostConfig: { ...options.HostConfig, Runtime: hardening.runtime } }
    : options;
  if (!hardening.diskCap) return { container: await docker.createContainer(withRuntime) };
  const { container, quota } = await hardening.diskCap.createContainer(docker, withRuntime);
  return { container, diskWatch: quota ? undefined : hardening.diskCap.watch(container, log) };
}
