import { canStartTasks, getRepositoryRole } from "../github/permissions.js";
import { getPullRequest, getPullRequestDiff } from "../github/pull-requests.js";
import { FORK_REFUSAL } from "../report/render-replies.js";
import type { TaskScope } from "./task-scope.js";
import { TaskFailure } from "./task-failure.js";

// The diff goes into the prompt; beyond this the agent reads the code in the workspace instead.
const DIFF_BUDGET = 60_000;

/**
 * The ref the task checks out. A task on a pull request, and a task on an issue whose earlier task opened a pull
 * request that is still open, continue on that pull request's head branch at its current head commit; `scope.followUp`
 * then describes it. Everything else starts from the default branch.
 */
export async function resolveCheckoutRef(scope: TaskScope): Promise<string> {
  const { job, octokit, status } = scope;
  const pullNumber = job.thread === "pull" ? job.issue.number : job.followUp?.pullNumber;
  if (pullNumber === undefined) return job.defaultBranch;

  const repository = `${job.owner}/${job.repo}`;
  const pull = await getPullRequest(octokit, { owner: job.owner, repo: job.repo, number: pullNumber });
  const closed = pull.state !== "open" ? (pull.merged_at ? "merged" : "closed") : undefined;
  const fromFork = pull.head.repo?.full_name.toLowerCase() !== repository.toLowerCase();
  if (job.thread === "pull") {
    if (closed)
      throw new TaskFailure(
        "checkout",
        `pull request #${pullNumber} is ${closed}; Taskbox adds commits only to open pull requests`,
      );
    if (fromFork) throw new TaskFailure("checkout", FORK_REFUSAL);
  } else if (closed || fromFork) {
    status.notes = [
      ...(status.notes ?? []),
      `#${pullNumber}, opened by an earlier task on this issue, is ${closed ?? "not on this repository"}; ` +
        `this task starts from \`${job.defaultBranch}\` and opens a new pull request.`,
    ];
    return job.defaultBranch;
  }

  const author = pull.user?.login ?? "ghost";
  const { diff, note } = await pullDiff(scope, pullNumber);
  scope.followUp = {
    number: pull.number,
    url: pull.html_url,
    title: pull.title,
    body: pull.body ?? "",
    author,
    authorTrusted: await isTrustedAuthor(scope, author),
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    baseRef: pull.base.ref,
    diff,
    diffNote: note,
    earlierTasks: job.followUp?.earlierTasks ?? [],
  };
  status.followUp = { number: pull.number, url: pull.html_url, branch: pull.head.ref };
  return pull.head.sha;
}

async function isTrustedAuthor(scope: TaskScope, login: string): Promise<boolean> {
  if (login === (await scope.deps.botAuthor(scope.octokit)).name) return true;
  return canStartTasks(await getRepositoryRole(scope.octokit, { owner: scope.job.owner, repo: scope.job.repo }, login));
}

async function pullDiff(scope: TaskScope, pullNumber: number): Promise<{ diff: string; note?: string }> {
  const { job, octokit, log } = scope;
  let diff: string;
  try {
    diff = await getPullRequestDiff(octokit, { owner: job.owner, repo: job.repo, number: pullNumber });
  } catch (error) {
    // GitHub refuses diffs that are too large; the task can still work from the checkout.
    log.warn({ err: error, pullNumber }, "could not load the pull request's diff");
    return { diff: "", note: "GitHub could not produce the diff of this pull request (it may be too large)." };
  }
  if (diff.length <= DIFF_BUDGET) return { diff };
  const cut = diff.lastIndexOf("\n", DIFF_BUDGET);
  return {
    diff: diff.slice(0, cut > 0 ? cut : DIFF_BUDGET),
    note: `The diff is cut after ${DIFF_BUDGET.toLocaleString("en-US")} of ${diff.length.toLocaleString("en-US")} characters.`,
  };
}
