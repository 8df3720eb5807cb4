import type { Logger } from "pino";
import type { ProbotOctokit } from "probot";

export interface TaskBranch {
  owner: string;
  repo: string;
  /** The task's own branch, taskbox/<issue>-<id>: no person and no other task ever pushes to it. */
  branch: string;
}

export interface PullRequestRef {
  number: number;
  url: string;
}

/**
 * Makes opening a task's pull request idempotent. An earlier attempt of the same task that was interrupted (its
 * worker killed after the push) may have left the task's branch, and even opened the pull request. That pull
 * request is returned, to be reused instead of opening a second one; a branch without one is deleted, so the new
 * attempt can push its own commit and no branch without a pull request stays behind.
 */
export async function takeOverTaskBranch(
  octokit: ProbotOctokit,
  target: TaskBranch,
  log: Logger,
): Promise<PullRequestRef | undefined> {
  const { owner, repo, branch } = target;
  try {
    await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
  const { data: pulls } = await octokit.rest.pulls.list({
    owner,
    repo,
    head: `${owner}:${branch}`,
    state: "all",
    per_page: 1,
  });
  const pull = pulls[0];
  if (pull) {
    log.info({ branch, pullNumber: pull.number }, "an earlier attempt of this task opened its pull request already");
    return { number: pull.number, url: pull.html_url };
  }
  log.info({ branch }, "deleting the branch an interrupted attempt of this task pushed without a pull request");
  await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
  return undefined;
}
