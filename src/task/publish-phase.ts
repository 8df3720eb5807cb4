import { commitAndPush } from "../git/publish.js";
import { deleteBranch, openPullRequest } from "../github/pull-requests.js";
import { takeOverTaskBranch } from "../github/task-branch.js";
import { branchForTask } from "../queue/task-job.js";
import { pullRequestTitle, renderPullRequestBody } from "../report/render-pull-request.js";
import type { TaskScope } from "./task-scope.js";
import { checkPatch } from "./check-patch.js";
import { publishFollowUp } from "./publish-follow-up.js";

/** Commits and pushes the patch from the host, then opens the pull request; a branch without a PR is removed. */
export async function publishPhase(scope: TaskScope, patch: Buffer): Promise<void> {
  const { job, deps, status, updater, redactor, octokit } = scope;
  status.state = "publishing";
  updater.update(status);
  await checkPatch({ patch, checkoutDir: scope.checkoutDir, redactor });
  if (scope.followUp) return publishFollowUp(scope, patch, scope.followUp);

  const title = redactor.redact(pullRequestTitle(job.request));
  const branch = branchForTask(job.issue.number, job.taskId);
  const earlier = await takeOverTaskBranch(octokit, { owner: job.owner, repo: job.repo, branch }, scope.log);
  if (earlier) {
    status.pullRequest = earlier;
    status.state = "succeeded";
    status.notes = [
      ...(status.notes ?? []),
      `An earlier run of this task was interrupted after it opened #${earlier.number}, which is kept as it is.`,
    ];
    return;
  }
  const { diffstat } = await commitAndPush({
    dir: scope.checkoutDir,
    patch,
    branch,
    message: `${title}\n\nTaskbox task ${job.taskId}, requested by @${job.requestedBy} in #${job.issue.number}.`,
    author: await deps.botAuthor(octokit),
    token: await scope.freshToken(),
  });
  status.diffstat = redactor.redact(diffstat);
  // Redacted before rendering too: quoting and mention-breaking split a multi-line value or one with `@` apart.
  const body = renderPullRequestBody({
    taskId: job.taskId,
    summary: redactor.redact(status.summary ?? ""),
    request: redactor.redact(job.request),
    requestedBy: job.requestedBy,
    issueNumber: job.issue.number,
    diffstat: redactor.redact(diffstat),
  });
  try {
    status.pullRequest = await openPullRequest(octokit, {
      owner: job.owner,
      repo: job.repo,
      title,
      head: branch,
      base: job.defaultBranch,
      body: redactor.redact(body),
    });
    status.state = "succeeded";
  } catch (error) {
    await deleteBranch(octokit, { owner: job.owner, repo: job.repo, branch }).catch((cleanupError: unknown) =>
      scope.log.warn({ err: cleanupError, branch }, "could not delete the branch of a failed pull request"),
    );
    throw error;
  }
}
