import type { EnvironmentBuild, ImageFacts } from "../sandbox/environment-cache.js";
import type { Sandbox } from "../sandbox/types.js";
import type { EnvironmentSession } from "./environment-session.js";

export interface SetupPlan {
  script: string;
  inputs: Record<string, string>;
  automatic: boolean;
}

export interface SetUpOptions {
  /** The configured image, which the setup starts from. */
  image: ImageFacts & { name: string };
  /** Whether setup runs with internet (`internet.setup`). */
  network: boolean;
  /** Takes the snapshot of a set-up sandbox; see snapshotEnvironment. */
  snapshot(sandbox: Sandbox, base: ImageFacts): Promise<void>;
}

/**
 * Runs the setup script in a fresh sandbox and caches the result under the build's key. The task goes on when only
 * the caching fails. The build is released however this ends; the sandbox is offline when it returns.
 */
export async function setUpEnvironment(
  session: EnvironmentSession,
  build: EnvironmentBuild,
  plan: SetupPlan,
  options: SetUpOptions,
): Promise<Sandbox> {
  let sandbox: Sandbox;
  try {
    // network: for the setup script, if `internet.setup` allows.
    sandbox = await session.start(options.image.name, options.network);
    await runSetupAndSnapshot(session, sandbox, plan, options);
  } finally {
    await build.release();
  }
  await sandbox.disconnectNetwork(); // network: off for the agent
  return sandbox;
}

async function runSetupAndSnapshot(
  session: EnvironmentSession,
  sandbox: Sandbox,
  plan: SetupPlan,
  options: SetUpOptions,
): Promise<void> {
  const name = plan.automatic ? "automatic setup" : "setup script";
  session.report.logTail = await session.step(name, () => session.runScript(sandbox, `the ${name}`, plan.script));
  const failed = await session
    .step("snapshot", () => options.snapshot(sandbox, options.image))
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  if (failed !== undefined) noteCachingFailure(session, failed);
}

/** The task goes on without a cache entry; the next one sets up again. */
export function noteCachingFailure(session: Pick<EnvironmentSession, "log" | "note">, error: unknown): void {
  session.log.warn({ err: error }, "could not cache the environment");
  const message = error instanceof Error ? error.message : JSON.stringify(error);
  session.note(`The environment could not be cached: ${message}`);
}

export interface SnapshotOptions {
  build: EnvironmentBuild;
  ttlMs: number;
  /** The commit setup ran on. */
  commit(): Promise<string>;
  /** Called once the snapshot is saved: the new entry may take the cache past its size cap. */
  saved(): void;
}

/**
 * Saves the set-up sandbox as the key's cached environment, with the repository in it: a later task brings only the
 * commits since this one (see bringRepository).
 */
export async function snapshotEnvironment(sandbox: Sandbox, base: ImageFacts, options: SnapshotOptions): Promise<void> {
  const commit = await options.commit();
  await options.build.save(sandbox, { ttlMs: options.ttlMs, commit, baseSize: base.size });
  options.saved();
}
