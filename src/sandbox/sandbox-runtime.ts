import type Docker from "dockerode";

export class SandboxRuntimeError extends Error {
  constructor(runtime: string, available: string[]) {
    super(
      `TASKBOX_RUNTIME=${runtime}, but the Docker engine has no runtime of that name (it has: ${available.join(", ") || "none"}). ` +
        "Install it and register it under runtimes in /etc/docker/daemon.json, then restart dockerd (docs/operations.md, gVisor), " +
        "or unset TASKBOX_RUNTIME to use the engine's default runtime.",
    );
    this.name = "SandboxRuntimeError";
  }
}

/** Checks at start that the engine knows the configured OCI runtime, so a typo does not fail every task later. */
export async function checkSandboxRuntime(docker: Docker, runtime: string | undefined): Promise<void> {
  if (runtime === undefined) return;
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  const available = Object.keys(info.Runtimes ?? {});
  if (!available.includes(runtime)) throw new SandboxRuntimeError(runtime, available);
}
