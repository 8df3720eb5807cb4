import type { GitHubClient } from "../github/client.js";
import { getPullRequest } from "../github/pull-requests.js";
import { renderClosedPull, renderForkRefusal } from "./render-lifecycle.js";

/**
 * Why Taskbox cannot work on a pull request, as a reply to `login`; undefined when it can. Fork pull requests are
 * refused: the bot cannot push to a fork, and a fork's code must not run with this repository's secrets.
 */
export async function pullRequestRefusal(
  octokit: GitHubClient,
  pull: { owner: string; repo: string; number: number },
  login: string,
): Promise<string | undefined> {
  return refusalFor(await getPullRequest(octokit, pull), `${pull.owner}/${pull.repo}`, login);
}

export function refusalFor(
  pull: { state: string; merged_at: string | null; head: { repo: { full_name: string } | null } },
  repository: string,
  login: string,
): string | undefined {
  if (pull.head.repo?.full_name.toLowerCase() !== repository.toLowerCase()) return renderForkRefusal(login);
  if (pull.state !== "open") return renderClosedPull(login, pull.merged_at ? "merged" : "closed");
  return undefined;
}
