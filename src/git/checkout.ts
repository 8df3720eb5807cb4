import { mkdir, readdir } from "node:fs/promises";
import { GitError, runGit } from "./run-git.js";

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MISSING_REF = /couldn't find remote ref|not our ref/;

/** The branch or commit to check out is not on origin (deleted, renamed or force-pushed away). */
export class MissingRefError extends GitError {
  readonly ref: string;

  constructor(ref: string, cause: GitError) {
    super({ subcommand: "fetch", exitCode: cause.exitCode, stderr: cause.stderrTail });
    this.name = "MissingRefError";
    this.ref = ref;
    this.message = `git fetch failed: ${FULL_SHA.test(ref) ? "commit" : "branch"} ${ref} does not exist on origin (${cause.stderrTail})`;
  }
}

/**
 * Shallow-checks out one commit (a branch name or a full sha) into an empty directory, detached.
 * origin keeps the plain URL: the token is only ever sent as a header by runGit.
 */
export async function checkoutRef(options: {
  dir: string;
  remoteUrl: string;
  token: string;
  ref: string;
}): Promise<{ sha: string }> {
  const { dir, remoteUrl, token, ref } = options;
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new Error(`checkout directory is not empty: ${dir}`);

  await runGit(["init", "--quiet", "--initial-branch=taskbox"], { cwd: dir });
  await runGit(["remote", "add", "origin", remoteUrl], { cwd: dir });
  // A branch is spelled out as refs/heads/ so a tag with the same name cannot be picked instead.
  const source = FULL_SHA.test(ref) ? ref : `refs/heads/${ref}`;
  try {
    await runGit(["fetch", "--quiet", "--depth=1", "--no-tags", "--", "origin", source], { cwd: dir, token });
  } catch (error) {
    if (error instanceof GitError && MISSING_REF.test(error.stderrTail)) throw new MissingRefError(ref, error);
    throw error;
  }
  await runGit(["checkout", "--quiet", "--detach", "FETCH_HEAD"], { cwd: dir });
  const { stdout } = await runGit(["rev-parse", "HEAD"], { cwd: dir });
  return { sha: stdout.toString("utf8").trim() };
}
