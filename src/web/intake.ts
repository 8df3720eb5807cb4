import type { Logger } from "pino";
import { Context } from "probot";
import type { GitHubClient } from "../github/client.js";
import type { IntakeJobData } from "../queue/intake-job.js";
import { handleIssueComment } from "./handle-issue-comment.js";
import { handleIssueLabeled, handlePullRequestLabeled } from "./handle-labeled.js";
import type { WebDeps } from "./web-deps.js";

export interface IntakeOptions {
  deps: WebDeps;
  /** A client authenticated as the installation the webhook came from. */
  installation(installationId: number): Promise<GitHubClient>;
  log: Logger;
}

export type IntakeStep = (webhook: IntakeJobData) => Promise<void>;

/**
 * The intake step: everything a webhook asks for that needs GitHub (write access, the repository's config, the 👀
 * reaction, replies, the status comment) and then the task's job. It runs off the webhook path, in every process
 * role, so that GitHub gets its answer at once and a busy worker never delays an acknowledgement; GitHub's secondary
 * rate limits are waited out here (TaskboxOctokit).
 */
export function createIntakeStep({ deps, installation, log }: IntakeOptions): IntakeStep {
  return async (webhook) => {
    const octokit = await installation(webhook.payload.installation.id);
    const eventLog = log.child({ deliveryId: webhook.deliveryId, event: webhook.name });
    const event = { id: webhook.deliveryId, name: webhook.name, payload: webhook.payload } as never;
    switch (webhook.name) {
      case "issue_comment":
        return handleIssueComment(new Context<"issue_comment.created">(event, octokit, eventLog), deps);
      case "issues":
        return handleIssueLabeled(new Context<"issues.labeled">(event, octokit, eventLog), deps);
      case "pull_request":
        return handlePullRequestLabeled(new Context<"pull_request.labeled">(event, octokit, eventLog), deps);
    }
  };
}
