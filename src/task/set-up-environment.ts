import type { EnvironmentBuild, ImageFacts } from "../sandbox/environment-cache.js";
import type { Sandbox } from "../sandbox/types.js";
import type { EnvironmentSession } from "./environment-session.js";
import { workspaceExec } from "./environment-scripts.js";

/**
 * Removes the checkout's tracked files (and .git) from /workspace, then the directories that held them if nothing else
 * is left there. A snapshot is taken without them, so a later task only copies its own checkout in to have exactly its
 * commit, with no file of an older one left over; what setup made beside the checkout (node_modules, build output)
 * stays.
 */
export const CLEAR_CHECKOUT = `
set -eu
[ -d .git ] || exit 0
list=$(mktemp)
git ls-files -z > "$list"
xargs -0r rm -f -- < "$list"
xargs -0r dirname -z -- < "$list" | sort -zu | xargs -0r rmdir -p --ignore-fail-on-non-empty -- 2>/dev/null || true
rm -f "$list"
rm -rf .git
`;

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
  /** The checkout on the host, copied in again after the snapshot. */
  checkoutDir: string;
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
  // The snapshot left the checkout out; the agent gets it as it is in the commit.
  await session.step("copy checkout", () => sandbox.copyIn(options.checkoutDir));
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

/** Takes the checkout out of the sandbox and saves what is left as the key's cached environment. */
export async function snapshotEnvironment(sandbox: Sandbox, base: ImageFacts, options: SnapshotOptions): Promise<void> {
  const commit = await options.commit();
  await workspaceExec(sandbox, CLEAR_CHECKOUT, "take the checkout out of the snapshot");
  await options.build.save(sandbox, { ttlMs: options.ttlMs, commit, baseSize: base.size });
  options.saved();
}
