import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { checkImage } from "../config/allowed-images.js";
import { runGit } from "../git/run-git.js";
import type { EnvironmentReport } from "../report/task-status.js";
import type { EnvironmentKey, ImageFacts } from "../sandbox/environment-cache.js";
import {
  PACKAGES_LABEL,
  packageProfileCommand,
  parseOfferedPackages,
  selectPackages,
} from "../sandbox/package-versions.js";
import type { Sandbox } from "../sandbox/types.js";
import { setupHasInternet } from "./agent-network.js";
import { detectAutoSetup } from "./auto-setup.js";
import { rootExec, runScript } from "./environment-scripts.js";
import { stepTimer, type EnvironmentSession } from "./environment-session.js";
import { resumeUnlessVanished } from "./resume-environment.js";
import { checkNoSecretsLeft } from "./secret-scan.js";
import type { TaskScope } from "./task-scope.js";
import { setUpEnvironment, snapshotEnvironment, type SetupPlan } from "./set-up-environment.js";
import { TaskFailure } from "./task-failure.js";
import { bringRepository } from "./workspace-repository.js";

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

interface PrepareContext {
  scope: TaskScope;
  secrets: Record<string, string>;
  session: EnvironmentSession;
}

async function prepare(
  scope: TaskScope,
  secrets: Record<string, string>,
  checkout: Promise<void>,
  created: Sandbox[],
): Promise<Sandbox> {
  const { environment } = scope.job.config;
  // Shown once the cache's part is known, so a failure before that does not claim anything about it.
  const report: EnvironmentReport = { cache: "off", steps: [] };
  const image = await allowedImage(scope);
  const packages = selectPackages(
    environment.packages,
    parseOfferedPackages(image.labels[PACKAGES_LABEL]),
    environment.image,
  );
  if (!packages.ok) throw new TaskFailure("setup", packages.error);
  const session = createSession(scope, { report, secrets, checkout, created, binDirs: packages.binDirs });

  const setup = await planSetup(scope, checkout);
  if (!setup) {
    scope.status.environment = report;
    return session.start(environment.image, false);
  }
  return prepareCached({ scope, secrets, session }, setup, { ...image, name: environment.image });
}

/**
 * The facts of the image `environment.image` names, once it is an allowed reference and names an image by that very
 * tag (Docker would also take an id prefix); otherwise the task fails before any sandbox exists.
 */
async function allowedImage(scope: TaskScope): Promise<ImageFacts> {
  const { image } = scope.job.config.environment;
  const checked = checkImage(image, scope.deps.settings.allowedImages);
  if (!checked.ok) throw new TaskFailure("setup", checked.error);
  const facts = await scope.deps.environmentCache.inspectImage(checked.reference);
  if (!facts?.tags.includes(checked.reference)) {
    throw new TaskFailure(
      "setup",
      `the image \`${image}\` is not on the worker: build or pull it there, or change \`environment.image\``,
    );
  }
  return facts;
}

/** Looks the environment up in the cache: resumes a hit, sets up and caches on a miss. */
async function prepareCached(
  context: PrepareContext,
  setup: SetupPlan,
  image: ImageFacts & { name: string },
): Promise<Sandbox> {
  const { scope, session } = context;
  const { environment } = scope.job.config;
  const cache = scope.deps.environmentCache;
  const key = await keyOf(context, setup, image);
  const maintenance = {
    script: environment.maintenance,
    network: setupHasInternet(scope, environment.maintenance !== undefined),
  };
  for (;;) {
    const lookup = await session.step("cache lookup", () =>
      cache.acquire(key, { ttlMs: environment.cache.ttlMs, signal: scope.signal }),
    );
    scope.status.environment = session.report;
    if (!lookup.hit) {
      session.report.cache = "miss";
      session.report.missReason = lookup.reason;
      cache.sweepSoon();
      return setUpEnvironment(session, lookup.build, setup, {
        image,
        network: setupHasInternet(scope, true),
        snapshot: (sandbox, base) =>
          snapshotEnvironment(sandbox, base, {
            build: lookup.build,
            ttlMs: environment.cache.ttlMs,
            commit: () => headCommit(scope.checkoutDir),
            saved: () => cache.sweepSoon(),
          }),
      });
    }
    session.report.cache = "hit";
    session.report.cacheAgeMs = Math.max(0, Date.now() - lookup.environment.createdAt);
    const resumed = await resumeUnlessVanished(session, lookup.environment, maintenance, (id) => cache.discard(id));
    if (resumed) return resumed;
  }
}

async function keyOf(context: PrepareContext, setup: SetupPlan, image: ImageFacts): Promise<EnvironmentKey> {
  const { job, deps } = context.scope;
  const { environment } = job.config;
  return deps.environmentCache.keyFor({
    repository: `${job.owner}/${job.repo}`,
    imageId: image.id,
    setupScript: setup.script,
    setupInputs: setup.inputs,
    maintenanceScript: environment.maintenance,
    setupInternet: setupHasInternet(context.scope, true),
    env: environment.env,
    secrets: context.secrets,
    packages: environment.packages,
    caBundle: await fileDigest(deps.settings.caBundlePath),
  });
}

async function headCommit(checkoutDir: string): Promise<string> {
  const { stdout } = await runGit(["rev-parse", "HEAD"], { cwd: checkoutDir });
  return stdout.toString("utf8").trim();
}

function createSession(
  scope: TaskScope,
  context: {
    report: EnvironmentReport;
    secrets: Record<string, string>;
    checkout: Promise<void>;
    created: Sandbox[];
    binDirs: string[];
  },
): EnvironmentSession {
  const { environment, limits } = scope.job.config;
  const step = stepTimer(context.report);
  return {
    report: context.report,
    step,
    log: scope.log,
    start: (image, network) =>
      step("start sandbox", async () => {
        const sandbox = await createSandbox(scope, context.created, { image, network });
        // A cached environment already has the profile: packages are part of its key.
        if (image === environment.image && context.binDirs.length > 0) {
          await rootExec(sandbox, packageProfileCommand(context.binDirs), "select the package versions");
        }
        return sandbox;
      }).then(async (sandbox) => {
        await context.checkout;
        const sha = await headCommit(scope.checkoutDir);
        await step("repository", () => bringRepository(sandbox, { dir: scope.checkoutDir, sha }));
        return sandbox;
      }),
    async runScript(sandbox, what, script) {
      const logTail = await runScript(sandbox, what, script, {
        env: { ...environment.env, ...context.secrets },
        timeoutMs: limits.taskTimeoutMs,
        redact: (text) => scope.redactor.redact(text),
      });
      // Before the environment is cached or handed to the agent, whose commands could read what the script left.
      await step("secret scan", () =>
        checkNoSecretsLeft(sandbox, {
          secrets: context.secrets,
          scrubFiles: scope.deps.settings.scrubFiles,
          what: what.charAt(0).toUpperCase() + what.slice(1),
        }),
      );
      return logTail;
    },
    note(text) {
      scope.status.notes = [...(scope.status.notes ?? []), text];
    },
  };
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
  options: { image: string; network: boolean },
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

async function fileDigest(path: string | undefined): Promise<string | undefined> {
  return path === undefined
    ? undefined
    : createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
}
