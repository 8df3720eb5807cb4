import type { ApplicationFunction } from "probot";
import type { AppClients } from "../github/repository-access.js";
import { metrics } from "../metrics/metrics.js";
import { handleIssueComment } from "./handle-issue-comment.js";
import { handleIssueLabeled, handlePullRequestLabeled } from "./handle-labeled.js";
import type { PageHandler } from "./pages/mount-pages.js";
import type { WebDeps } from "./web-deps.js";

/** Times a webhook handler for taskbox_webhook_handling_seconds. */
function timed<C>(event: string, handler: (context: C) => Promise<void>): (context: C) => Promise<void> {
  return async (context) => {
    const stop = metrics.webhookDuration.startTimer({ event });
    try {
      await handler(context);
    } finally {
      stop();
    }
  };
}

/** The webhook handlers, plus the pages (task pages, /admin, /metrics) when `pages` builds them. */
export function createTaskboxApp(deps: WebDeps, pages?: (clients: AppClients) => PageHandler): ApplicationFunction {
  return (app, { addHandler }) => {
    app.on(
      "issue_comment.created",
      timed("issue_comment.created", (context) => handleIssueComment(context, deps)),
    );
    app.on(
      "issues.labeled",
      timed("issues.labeled", (context) => handleIssueLabeled(context, deps)),
    );
    app.on(
      "pull_request.labeled",
      timed("pull_request.labeled", (context) => handlePullRequestLabeled(context, deps)),
    );
    if (pages) addHandler(pages({ app: () => app.auth(), installation: (id) => app.auth(id) }));
  };
}
