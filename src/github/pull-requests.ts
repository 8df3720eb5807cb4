import type { ProbotOctokit } from "probot";

export interface PullRef {
  owner: string;
  repo: string;
  number: number;
}

/** A pull request as GET /repos/{owner}/{repo}/pulls/{number} answers it. */
export type PullRequest = Awaited<ReturnType<ProbotOctokit["rest"]["pulls"]["get"]>>["data"];

export async function getPullRequest(octokit: ProbotOctokit, pull: PullRef): Promise<PullRequest> {
  const { data } = await octokit.rest.pulls.get({ owner: pull.owner, repo: pull.repo, pull_number: pull.number });
  return data;
}

/** The pull request's diff against its base; GitHub refuses (throws) when the diff is too large. */
export async function getPullRequestDiff(octokit: ProbotOctokit, pull: PullRef): Promise<string> {
  const response = await octokit.rest.pulls.get({
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.number,
    mediaType: { format: "diff" },
  });
  // With the diff media type GitHub answers with the diff as text, not the JSON the types describe.
  return response.data as unknown as string;
}

export async function openPullRequest(
  octokit: ProbotOctokit,
  request: { owner: string; repo: string; title: string; head: string; base: string; body: string },
): Promise<{ number: number; url: string }> {
  const { data } = await octokit.rest.pulls.create(request);
  return { number: data.number, url: data.html_url };
}

export async function deleteBranch(
  octokit: ProbotOctokit,
  branch: { owner: string; repo: string; branch: string },
): Promise<void> {
  await octokit.rest.git.deleteRef({ owner: branch.owner, repo: branch.repo, ref: `heads/${branch.branch}` });
}
