import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { runGit } from "../git/run-git.js";
import type { EnvironmentReport } from "../report/task-status.js";
import type { CachedEnvironment, EnvironmentBuild, ImageFacts } from "../sandbox/environment-cache.js";
import {
  PACKAGES_LABEL,
  packageProfileCommand,
  parseOfferedPackages,
  selectPackages,
} from "../sandbox/package-versions.js";
import { stopStrayProcesses } from "../sandbox/stop-stray-processes.js";
import type { Sandbox } from "../sandbox/types.js";
import { setupHasInternet } from "./agent-network.js";
import { detectAutoSetup } from "./auto-setup.js";
import type { TaskScope } from "./task-scope.js";
import { lastLines } from "../report/last-lines.js";
import { TaskFailure } from "./task-failure.js";

const SCRIPT_OUTPUT_BYTES = 1024 * 1024;
const LOG_TAIL_LINES = 40;
const ROOT_EXEC = { user: "root", timeoutMs: 30_000, maxOutputBytes: 16 * 1024 } as const;
const WORKSPACE_EXEC = { timeoutMs: 5 * 60_000, maxOutputBytes: 64 * 1024 } as const;

/**
 * Removes the checkout's tracked files (and .git) from /workspace, then the directories that held them if nothing else
 * is left there. A snapshot is taken without them, so a later task only copies its own checkout in to have exactly its
 * commit, with no file of an older one left over; what setup made beside the checkout (node_modules, build output)
 * stays.
 */
const CLEAR_CHECKOUT = `
set -eu
[ -d .git ] || exit 0
list=$(mktemp)
git ls-files -z > "$list"
xargs -0r rm -f -- < "$list"
xargs -0r dirname -z -- < "$list" | sort -zu | xargs -0r rmdir -p --ignore-fail-on-non-empty -- 2>/dev/null || true
rm -f "$list"
rm -rf .git
`;

/** Preparation that has begun while the checkout is being made; see beginEnvironment. */
export interface EnvironmentStart {
  /** Resolves with the offline sandbox once the checkout is in place; rejects with a TaskFailure of the setup phase. */
  finish(): Promise<Sandbox>;
}

/**
 * Starts everything about the environment that does not need the checkout (image and package checks, the cache key and
 * lookup, creating and starting the container), so it overlaps the checkout. Call prepareEnvironment with the result
 * once the checkout is done. Whatever it creates is removed when the task ends, however it ends.
 */
export function beginEnvironment(scope: TaskScope, secrets: Record<string, string>): EnvironmentStart {
  let checkedOut!: () => void;
  let abandon!: (reason: unknown) => void;
  const checkout = new Promise<void>((resolve, reject) => {
    checkedOut = resolve;
    abandon = reject;
  });
  checkout.catch(() => undefined);
  const created: Sandbox[] = [];
  const work = prepare(scope, secrets, checkout, created);
  work.catch(() => undefined); // observed by finish(), or by the cleanup when the task ends before that
  scope.defer(async () => {
    abandon(new Error("the task ended before its checkout was done"));
    await work.catch(() => undefined);
    for (const sandbox of created) await sandbox.remove();
  });
  return {
    finish() {
      checkedOut();
      return work;
    },
  };
}

/**
 * Call once the checkout is done. Brings up the task's sandbox with the checkout in /workspace: from the repository's
 * cached environment when one fits (then the maintenance script runs), or by running the setup script (or automatic
 * setup) and caching the result. Scripts get internet, env and secrets; the sandbox is offline when this returns.
 */
export function prepareEnvironment(started: EnvironmentStart): Promise<Sandbox> {
  return started.finish();
}

interface SetupPlan {
  script: string;
  inputs: Record<string, string>;
  automatic: boolean;
}

async function prepare(
  scope: TaskScope,
  secrets: Record<string, string>,
  checkout: Promise<void>,
  created: Sandbox[],
): Promise<Sandbox> {
  const { job, deps, status } = scope;
  const { environment } = job.config;
  const cache = deps.environmentCache;
  // Shown once the cache's part is known, so a failure before that does not claim anything about it.
  const report: EnvironmentReport = { cache: "off", steps: [] };
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      report.steps.push({ name, ms: Math.round(performance.now() - started) });
    }
  };

  const image = await cache.inspectImage(environment.image);
  if (!image) {
    throw new TaskFailure(
      "setup",
      `the image \`${environment.image}\` is not on the worker: build or pull it there, or change \`environment.image\``,
    );
  }
  const packages = selectPackages(
    environment.packages,
    parseOfferedPackages(image.labels[PACKAGES_LABEL]),
    environment.image,
  );
  if (!packages.ok) throw new TaskFailure("setup", packages.error);

  const setup = await planSetup(scope, checkout);
  // The checkout is copied in as soon as it is done, while the container starts.
  const workspace = () => checkout.then(() => scope.checkoutDir);
  const start = (from: string, network: boolean) =>
    step("start sandbox", async () => {
      const sandbox = await createSandbox(scope, created, { image: from, network, workspace });
      // A cached environment already has the profile: packages are part of its key.
      if (from === environment.image && packages.binDirs.length > 0) {
        await rootExec(sandbox, packageProfileCommand(packages.binDirs), "select the package versions");
      }
      return sandbox;
    });

  if (!setup) {
    status.environment = report;
    return start(environment.image, false);
  }

  const key = await cache.keyFor({
    repository: `${job.owner}/${job.repo}`,
    imageId: image.id,
    setupScript: setup.script,
    setupInputs: setup.inputs,
    maintenanceScript: environment.maintenance,
    setupInternet: setupHasInternet(scope, true),
    env: environment.env,
    secrets,
    packages: environment.packages,
    caBundle: await fileDigest(deps.settings.caBundlePath),
  });
  for (;;) {
    const lookup = await step("cache lookup", () =>
      cache.acquire(key, { ttlMs: environment.cache.ttlMs, signal: scope.signal }),
    );
    status.environment = report;
    if (!lookup.hit) {
      report.cache = "miss";
      report.missReason = lookup.reason;
      cache.sweepSoon();
      return build(lookup.build, setup, image);
    }
    report.cache = "hit";
    report.cacheAgeMs = Math.max(0, Date.now() - lookup.environment.createdAt);
    const resumed = await resume(lookup.environment).catch(async (error: unknown) => {
      // A sweep on another worker can remove the image between the lookup and the container's creation.
      if ((error as { statusCode?: unknown }).statusCode !== 404) throw error;
      scope.log.warn({ imageId: lookup.environment.imageId }, "the cached environment vanished; looking again");
      await cache.discard(lookup.environment.imageId);
      return undefined;
    });
    if (resumed) return resumed;
  }

  async function resume(cached: CachedEnvironment): Promise<Sandbox> {
    const maintenance = environment.maintenance;
    // network: for the maintenance script only, if `internet.setup` allows.
    const sandbox = await start(cached.imageId, setupHasInternet(scope, maintenance !== undefined));
    if (maintenance !== undefined) {
      report.logTail = await step("maintenance script", () =>
        runScript(scope, sandbox, "the maintenance script", maintenance, secrets),
      );
      await sandbox.disconnectNetwork(); // network: off for the agent
    }
    return sandbox;
  }

  async function build(lease: EnvironmentBuild, plan: SetupPlan, base: ImageFacts): Promise<Sandbox> {
    let sandbox: Sandbox;
    try {
      // network: for the setup script, if `internet.setup` allows.
      sandbox = await start(environment.image, setupHasInternet(scope, true));
      const name = plan.automatic ? "automatic setup" : "setup script";
      report.logTail = await step(name, () => runScript(scope, sandbox, `the ${name}`, plan.script, secrets));
      const failed = await step("snapshot", () => snapshot(lease, sandbox, base)).then(
        () => undefined,
        (error: unknown) => error,
      );
      // The snapshot left the checkout out; the agent gets it as it is in the commit.
      await step("copy checkout", () => sandbox.copyIn(scope.checkoutDir));
      if (failed !== undefined) {
        // The task goes on without a cache entry; the next one sets up again.
        scope.log.warn({ err: failed }, "could not cache the environment");
        const message = failed instanceof Error ? failed.message : JSON.stringify(failed);
        status.notes = [...(status.notes ?? []), `The environment could not be cached: ${message}`];
      }
    } finally {
      await lease.release();
    }
    await sandbox.disconnectNetwork(); // network: off for the agent
    return sandbox;
  }

  async function snapshot(lease: EnvironmentBuild, sandbox: Sandbox, base: ImageFacts): Promise<void> {
    const { stdout } = await runGit(["rev-parse", "HEAD"], { cwd: scope.checkoutDir });
    await workspaceExec(sandbox, CLEAR_CHECKOUT, "take the checkout out of the snapshot");
    await lease.save(sandbox, {
      ttlMs: environment.cache.ttlMs,
      commit: stdout.toString("utf8").trim(),
      baseSize: base.size,
    });
    cache.sweepSoon(); // the new entry may take the cache past its size cap
  }
}

/** The configured setup script, or what automatic setup finds in the checkout (which it then has to wait for). */
async function planSetup(scope: TaskScope, checkout: Promise<void>): Promise<SetupPlan | undefined> {
  const configured = scope.job.config.environment.setup;
  if (configured !== undefined) return { script: configured, inputs: {}, automatic: false };
  await checkout;
  const detected = await detectAutoSetup(scope.checkoutDir);
  const note =
    detected.script === undefined
      ? "Automatic setup (no `environment.setup`): no npm, yarn, pnpm, pip, pipenv or poetry files in the repository root, so nothing was installed."
      : `Automatic setup (no \`environment.setup\`) detected and ran: ${detected.detected.join("; ")}.`;
  scope.status.notes = [...(scope.status.notes ?? []), note];
  return detected.script === undefined
    ? undefined
    : { script: detected.script, inputs: detected.inputs, automatic: true };
}

async function createSandbox(
  scope: TaskScope,
  created: Sandbox[],
  options: { image: string; network: boolean; workspace: () => Promise<string> },
): Promise<Sandbox> {
  const { job, deps } = scope;
  const sandbox = await deps.sandboxes.create({
    ...options,
    taskId: job.taskId,
    labels: { "taskbox.repo": `${job.owner}/${job.repo}` },
    limits: deps.settings.sandboxLimits,
    caBundlePath: deps.settings.caBundlePath,
  });
  created.push(sandbox);
  // A cancel or timeout kills the container, and with it whatever script is running; one that came while the
  // container was being made stops the task here, since the listener would never fire.
  scope.signal.throwIfAborted();
  scope.signal.addEventListener("abort", () => void sandbox.remove(), { once: true });
  return sandbox;
}

/** Runs a setup or maintenance script with env and secrets (for this process only); returns its redacted log tail. */
async function runScript(
  scope: TaskScope,
  sandbox: Sandbox,
  what: string,
  script: string,
  secrets: Record<string, string>,
): Promise<string> {
  const { environment, limits } = scope.job.config;
  const result = await sandbox.exec({
    command: script,
    // Secrets go to this one process only, never into the container's own environment.
    env: { ...environment.env, ...secrets },
    timeoutMs: limits.taskTimeoutMs,
    maxOutputBytes: SCRIPT_OUTPUT_BYTES,
  });
  const output = lastLines(scope.redactor.redact(result.output.toString("utf8")), LOG_TAIL_LINES);
  if (result.exitCode !== 0) {
    throw new TaskFailure(
      "setup",
      result.timedOut ? `${what} timed out` : `${what} exited with code ${result.exitCode}`,
      output,
    );
  }
  // What the script left running inherited its secrets, which /proc would show to the agent's commands.
  await stopStrayProcesses(sandbox);
  return output;
}

async function rootExec(sandbox: Sandbox, command: string, what: string): Promise<void> {
  const result = await sandbox.exec({ command, ...ROOT_EXEC });
  if (result.exitCode !== 0)
    throw new TaskFailure("setup", `could not ${what} (exit code ${result.exitCode})`, result.output.toString("utf8"));
}

async function workspaceExec(sandbox: Sandbox, command: string, what: string): Promise<void> {
  const result = await sandbox.exec({ command, ...WORKSPACE_EXEC });
  if (result.exitCode !== 0)
    throw new Error(`could not ${what} (exit code ${result.exitCode}): ${result.output.toString("utf8").trim()}`);
}

async function fileDigest(path: string | undefined): Promise<string | undefined> {
  return path === undefined
    ? undefined
    : createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
}
