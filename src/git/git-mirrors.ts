import { mkdir, rm, stat, utimes } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { MissingRefError } from "./checkout.js";
import { withFileLock } from "./file-lock.js";
import { directoryBytes, evictMirrors, watchSize } from "./mirror-size.js";
import { GitError, runGit } from "./run-git.js";

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MISSING_REF = /couldn't find remote ref|not our ref/;

export interface GitMirrorSettings {
  /** Holds `<owner>/<repo>.git`, one bare mirror per repository. */
  root: string;
  /** TASKBOX_MAX_REPO_BYTES: a repository larger than this is refused, and its fetch stopped once it gets there. */
  maxRepoBytes: number;
  /** TASKBOX_GIT_CACHE_BYTES: past this, the least recently used mirrors are removed. */
  maxCacheBytes: number;
}

/** The repository has more than TASKBOX_MAX_REPO_BYTES of git objects. */
export class RepositoryTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(
      `the repository is larger than this Taskbox allows (${formatMiB(limitBytes)} of git data, TASKBOX_MAX_REPO_BYTES): ` +
        "ask the operator to raise the limit",
    );
    this.name = "RepositoryTooLargeError";
  }
}

export interface CheckoutOptions {
  /** An empty directory for the task's checkout. */
  dir: string;
  owner: string;
  repo: string;
  remoteUrl: string;
  token: string;
  /** A branch name or a full commit sha. */
  ref: string;
  /** `environment.history`: undefined for the full history, else the number of commits. */
  depth: number | undefined;
}

/**
 * Checks a commit out from the host's mirror of the repository: the mirror is brought up to date with an incremental
 * fetch (the token goes to that fetch only, as a header), then the checkout is a local clone of it, whose objects are
 * hard links, or a shallow fetch from it for `environment.history: <depth>`. origin is the plain URL, for the push.
 */
export async function checkoutFromMirror(
  settings: GitMirrorSettings,
  options: CheckoutOptions,
  log: Logger,
): Promise<{ sha: string }> {
  const mirror = join(settings.root, options.owner, `${options.repo}.git`);
  const lockFile = `${mirror}.lock`;
  await mkdir(dirname(mirror), { recursive: true });
  const target = FULL_SHA.test(options.ref) ? `refs/taskbox/commits/${options.ref}` : `refs/heads/${options.ref}`;
  const sha = await withFileLock(lockFile, "exclusive", () => updateMirror(settings, mirror, target, options));
  // Shared: other tasks may clone at the same time; an update or an eviction waits until this clone is done.
  await withFileLock(lockFile, "shared", () => cloneFrom(mirror, target, sha, options));
  await utimes(mirror, new Date(), new Date()); // the eviction order
  await evictMirrors(settings.root, settings.maxCacheBytes, mirror).catch((error: unknown) =>
    log.warn({ err: error }, "could not evict git mirrors"),
  );
  return { sha };
}

async function updateMirror(
  settings: GitMirrorSettings,
  mirror: string,
  target: string,
  options: CheckoutOptions,
): Promise<string> {
  const exists = await stat(join(mirror, "HEAD")).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await mkdir(mirror, { recursive: true });
    await runGit(["init", "--quiet", "--bare"], { cwd: mirror });
    // A shallow fetch by sha from a task's checkout must be served.
    await runGit(["config", "uploadpack.allowAnySHA1InWant", "true"], { cwd: mirror });
  }
  const source = FULL_SHA.test(options.ref) ? options.ref : target;
  const abort = new AbortController();
  const watch = watchSize(join(mirror, "objects"), settings.maxRepoBytes, () => abort.abort());
  try {
    await runGit(["fetch", "--quiet", "--no-tags", "--", options.remoteUrl, `+${source}:${target}`], {
      cwd: mirror,
      token: options.token,
      signal: abort.signal,
    });
  } catch (error) {
    if (abort.signal.aborted) throw await tooLarge(mirror, settings.maxRepoBytes);
    if (error instanceof GitError && MISSING_REF.test(error.stderrTail)) throw new MissingRefError(options.ref, error);
    throw error;
  } finally {
    watch.stop();
  }
  if ((await directoryBytes(join(mirror, "objects"))) > settings.maxRepoBytes) {
    throw await tooLarge(mirror, settings.maxRepoBytes);
  }
  const { stdout } = await runGit(["rev-parse", "--verify", `${target}^{commit}`], { cwd: mirror });
  return stdout.toString("utf8").trim();
}

/** The mirror goes: keeping part of a repository that can never be used would only take the disk. */
async function tooLarge(mirror: string, limitBytes: number): Promise<RepositoryTooLargeError> {
  await rm(mirror, { recursive: true, force: true });
  return new RepositoryTooLargeError(limitBytes);
}

async function cloneFrom(mirror: string, target: string, sha: string, options: CheckoutOptions): Promise<void> {
  const { dir } = options;
  if (options.depth === undefined) {
    await runGit(["clone", "--quiet", "--local", "--no-checkout", "--", mirror, dir], { cwd: dirname(dir) });
    await runGit(["remote", "set-url", "origin", options.remoteUrl], { cwd: dir });
  } else {
    await runGit(["init", "--quiet", "--initial-branch=taskbox"], { cwd: dir });
    await runGit(["remote", "add", "origin", options.remoteUrl], { cwd: dir });
    await runGit(["fetch", "--quiet", "--no-tags", `--depth=${options.depth}`, "--", `file://${mirror}`, target], {
      cwd: dir,
    });
  }
  await runGit(["checkout", "--quiet", "--detach", sha], { cwd: dir });
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
