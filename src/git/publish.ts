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
  const { commitSha, diffstat } = await commitPatch({ dir, patch, message, author });

  // A lease on an empty value means "the branch must not exist yet": a plain push would still fast-forward an
  // existing branch, and no force is ever applied to a branch that is there.
  try {
    await runGit(
      ["push", "--quiet", `--force-with-lease=refs/heads/${branch}:`, "origin", `HEAD:refs/heads/${branch}`],
      {
        cwd: dir,
        token,
      },
    );
  } catch (error) {
    if (error instanceof GitError && /\[(?:remote )?rejected\]/.test(error.stderrTail))
      throw new PushRejectedError(branch, error);
    throw error;
  }

  return { commitSha, diffstat };
}

/**
 * Applies a patch to the checked-out commit and commits it as `author` (author and committer). With `threeWay`, a
 * patch whose context changed is merged against its original blobs; a conflict fails with the conflicting paths.
 */
async function commitPatch(options: {
  dir: string;
  patch: Buffer;
  message: string;
  author: CommitAuthor;
  threeWay?: boolean;
}): Promise<{ commitSha: string; diffstat: string }> {
  const { dir, patch, message, author } = options;
  if (patch.length === 0)
    throw new Error("commitPatch needs a non-empty patch; callers must skip publishing when nothing changed");

  await runGit(["apply", "--index", "--binary", ...(options.threeWay ? ["--3way"] : []), "-"], {
    cwd: dir,
    input: patch,
  });
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
  return { commitSha, diffstat };
}

/** The branch a follow-up builds on changed in a way the task's change cannot be applied to. */
export class BranchMovedError extends Error {
  constructor(
    readonly branch: string,
    message: string,
  ) {
    super(message);
    this.name = "BranchMovedError";
  }
}

/**
 * Adds a commit with `patch` on top of `expectedHead` to an existing branch, without ever forcing: the lease only lets
 * the push through while the branch is still at the commit the new one builds on, so the update is a fast-forward.
 * If someone pushed meanwhile, the patch is applied again (three-way) on the branch's new head and pushed, up to
 * `attempts` times; a conflict or a deleted branch ends with a BranchMovedError that says what happened.
 */
export async function pushOntoBranch(options: {
  dir: string;
  patch: Buffer;
  branch: string;
  expectedHead: string;
  message: string;
  author: CommitAuthor;
  token: string;
  attempts?: number;
}): Promise<{ commitSha: string; diffstat: string; rebasedOnto?: string }> {
  const { dir, patch, branch, message, author, token, attempts = 3 } = options;
  let head = options.expectedHead;
  let rebasedOnto: string | undefined;
  let commit = await commitPatch({ dir, patch, message, author });
  for (let attempt = 1; ; attempt++) {
    try {
      await runGit(
        ["push", "--quiet", `--force-with-lease=refs/heads/${branch}:${head}`, "origin", `HEAD:refs/heads/${branch}`],
        {
          cwd: dir,
          token,
        },
      );
      return { ...commit, rebasedOnto };
    } catch (error) {
      if (!(error instanceof GitError && REJECTED.test(error.stderrTail))) throw error;
      if (attempt >= attempts) {
        throw new BranchMovedError(
          branch,
          `push rejected: branch ${branch} kept moving while Taskbox pushed (${attempts} attempts)`,
        );
      }
    }
    head = await fetchBranchHead(dir, branch, token);
    rebasedOnto = head;
    await runGit(["reset", "--quiet", "--hard", head], { cwd: dir });
    try {
      commit = await commitPatch({ dir, patch, message, author, threeWay: true });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      const conflicts = (await runGit(["diff", "--name-only", "--diff-filter=U"], { cwd: dir })).stdout
        .toString("utf8")
        .trim();
      const files = conflicts ? conflicts.split("\n").join(", ") : "see the log";
      throw new BranchMovedError(
        branch,
        `branch ${branch} moved to ${head.slice(0, 7)} while the task ran, and the change conflicts with it (${files}); ` +
          "nothing was pushed. Ask again to start from the new head.",
      );
    }
  }
}

async function fetchBranchHead(dir: string, branch: string, token: string): Promise<string> {
  try {
    await runGit(["fetch", "--quiet", "--depth=1", "--no-tags", "--", "origin", `refs/heads/${branch}`], {
      cwd: dir,
      token,
    });
  } catch (error) {
    if (error instanceof GitError && /couldn't find remote ref/.test(error.stderrTail)) {
      throw new BranchMovedError(branch, `branch ${branch} was deleted while the task ran; nothing was pushed`);
    }
    throw error;
  }
  return (await runGit(["rev-parse", "FETCH_HEAD"], { cwd: dir })).stdout.toString("utf8").trim();
}

const REJECTED = /\[(?:remote )?rejected\]/;

function rejectionReason(stderr: string, branch: string): string {
  const reason = /\[(?:remote )?rejected\][^\n]*\(([^)]*)\)/.exec(stderr)?.[1] ?? "see git output";
  if (
    reason === "stale info" ||
    reason === "already exists" ||
    reason === "fetch first" ||
    reason === "non-fast-forward"
  ) {
    return `branch ${branch} already exists on origin; Taskbox never overwrites a branch (${reason})`;
  }
  return `origin refused branch ${branch} (${reason})`;
}
