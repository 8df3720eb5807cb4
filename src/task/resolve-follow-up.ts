import type { EarlierTask } from "../queue/task-job.js";
import { canStartTasks, getRepositoryRole } from "../web/permissions.js";
import type { TaskScope } from "./run-task.js";
import { TaskFailure } from "./task-failure.js";

// The diff goes into the prompt; beyond this the agent reads the code in the workspace instead.
const DIFF_BUDGET = 60_000;

/** The pull request a follow-up adds a commit to, as the prompt and the publish phase need it. */
export interface PullTarget {
  number: number;
  url: string;
  title: string;
  body: string;
  author: string;
  /** The author has write access, or is Taskbox itself. */
  authorTrusted: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The pull request's diff against its base, cut at a budget; empty when GitHub could not produce it. */
  diff: string;
  /** Why the diff is cut or missing, for the prompt. */
  diffNote?: string;
  earlierTasks: EarlierTask[];
}

export const FORK_REFUSAL =
  "Taskbox does not work on pull requests from forks: it cannot push to a fork, and a fork's code must not run with " +
  "this repository's secrets.";

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
  const { data: pull } = await octokit.rest.pulls.get({ owner: job.owner, repo: job.repo, pull_number: pullNumber });
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
    const response = await octokit.rest.pulls.get({
      owner: job.owner,
      repo: job.repo,
      pull_number: pullNumber,
      mediaType: { format: "diff" },
    });
    // With the diff media type GitHub answers with the diff as text, not the JSON the types describe.
    diff = response.data as unknown as string;
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
