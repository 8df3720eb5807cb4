import type { CachedEnvironment } from "../sandbox/environment-cache.js";
import type { Sandbox } from "../sandbox/types.js";
import type { EnvironmentSession } from "./environment-session.js";

export interface Maintenance {
  /** `environment.maintenance`, if any. */
  script: string | undefined;
  /** Whether it runs with internet (`internet.setup`). */
  network: boolean;
}

/** Brings up a cached environment, runs the maintenance script there, and leaves the sandbox offline. */
export async function resumeEnvironment(
  session: EnvironmentSession,
  cached: CachedEnvironment,
  maintenance: Maintenance,
): Promise<Sandbox> {
  // network: for the maintenance script only, if `internet.setup` allows.
  const sandbox = await session.start(cached.imageId, maintenance.network);
  const { script } = maintenance;
  if (script !== undefined) {
    session.report.logTail = await session.step("maintenance script", () =>
      session.runScript(sandbox, "the maintenance script", script),
    );
    await sandbox.disconnectNetwork(); // network: off for the agent
  }
  return sandbox;
}

/**
 * resumeEnvironment, or undefined when the cached image vanished before its container was made (a sweep on another
 * worker can remove it after the lookup): the image is dropped from the cache and the caller looks again.
 */
export async function resumeUnlessVanished(
  session: EnvironmentSession,
  cached: CachedEnvironment,
  maintenance: Maintenance,
  discard: (imageId: string) => Promise<void>,
): Promise<Sandbox | undefined> {
  try {
    return await resumeEnvironment(session, cached, maintenance);
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode !== 404) throw error;
    session.log.warn({ imageId: cached.imageId }, "the cached environment vanished; looking again");
    await discard(cached.imageId);
    return undefined;
  }
}
