import { GitError, runGit } from "./run-git.js";

export interface CommitAuthor {
  name: string;
  email: string;
}

/** origin refused the push; Taskbox never overwrites a branch, so an existing branch ends up here. */
export class PushRejectedError extends GitError {
  readonly branch: string;

  constructor(branch: string, cause: GitError) {
    super({ subcommand: "push", exitCode: cause.exitCode, stderr: cause.stderrTail });
    this.name = "PushRejectedError";
    this.branch = branch;
    this.message = `push rejected: ${rejectionReason(cause.stderrTail, branch)}`;
  }
}

/**
 * Applies a `git diff --binary` patch to a checkout, commits it as `author` (author and committer) and pushes it
 * to a new branch on origin. The push only creates: it fails if the branch already exists, even as a fast-forward.
 */
export async function commitAndPush(options: {
  dir: string;
  patch: Buffer;
  branch: string;
  message: string;
  author: CommitAuthor;
  token: string;
}): Promise<{ commitSha: string; diffstat: string }> {
  const { dir, patch, branch, message, author, token } = options;
  if (patch.length === 0) throw new Error("commitAndPush needs a non-empty patch; callers must skip publishing when nothing changed");

  await runGit(["apply", "--index", "--binary", "-"], { cwd: dir, input: patch });
  const identity = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  // --cleanup=whitespace keeps lines starting with "#" (issue references) that the default cleanup would drop.
  await runGit(["commit", "--quiet", "--no-verify", "--cleanup=whitespace", "--file=-"], {
    cwd: dir,
    input: Buffer.from(message, "utf8"),
    env: identity,
  });
  const commitSha = (await runGit(["rev-parse", "HEAD"], { cwd: dir })).stdout.toString("utf8").trim();
  const diffstat = (await runGit(["diff", "--stat", "HEAD^", "HEAD"], { cwd: dir })).stdout.toString("utf8").trimEnd();

  // A lease on an empty value means "the branch must not exist yet": a plain push would still fast-forward an
  // existing branch, and no force is ever applied to a branch that is there.
  try {
    await runGit(["push", "--quiet", `--force-with-lease=refs/heads/${branch}:`, "origin", `HEAD:refs/heads/${branch}`], {
      cwd: dir,
      token,
    });
  } catch (error) {
    if (error instanceof GitError && /\[(?:remote )?rejected\]/.test(error.stderrTail)) throw new PushRejectedError(branch, error);
    throw error;
  }

  return { commitSha, diffstat };
}

function rejectionReason(stderr: string, branch: string): string {
  const reason = /\[(?:remote )?rejected\][^\n]*\(([^)]*)\)/.exec(stderr)?.[1] ?? "see git output";
  if (reason === "stale info" || reason === "already exists" || reason === "fetch first" || reason === "non-fast-forward") {
    return `branch ${branch} already exists on origin; Taskbox never overwrites a branch (${reason})`;
  }
  return `origin refused branch ${branch} (${reason})`;
}
