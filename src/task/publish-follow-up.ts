import { BranchMovedError, pushOntoBranch } from "../git/publish.js";
import { pullRequestTitle } from "../report/render-pull-request.js";
import type { PullTarget } from "./task-scope.js";
import type { TaskScope } from "./task-scope.js";
import { TaskFailure } from "./task-failure.js";

/** Adds the task's change as one new commit on the pull request's branch; no new pull request. */
export async function publishFollowUp(scope: TaskScope, patch: Buffer, pull: PullTarget): Promise<void> {
  const { job, deps, status, octokit } = scope;
  let pushed;
  try {
    pushed = await pushOntoBranch({
      dir: scope.checkoutDir,
      patch,
      branch: pull.headRef,
      expectedHead: pull.headSha,
      message: `${pullRequestTitle(job.request)}\n\nTaskbox task ${job.taskId}, requested by @${job.requestedBy} in #${job.issue.number}.`,
      author: await deps.botAuthor(octokit),
      token: await scope.freshToken(), // the task may have outlived the token it started with
    });
  } catch (error) {
    if (error instanceof BranchMovedError) throw new TaskFailure("publish", error.message);
    throw error;
  }
  status.commitSha = pushed.commitSha;
  status.pullRequest = { number: pull.number, url: pull.url };
  if (pushed.rebasedOnto) {
    status.notes = [
      ...(status.notes ?? []),
      `\`${pull.headRef}\` moved while the task ran; the change was applied on top of its new head ${pushed.rebasedOnto.slice(0, 7)}.`,
    ];
  }
  status.state = "succeeded";
}
