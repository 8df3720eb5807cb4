import type { ApplicationFunction } from "probot";
import { handleIssueComment } from "./handle-issue-comment.js";
import { handleIssueLabeled, handlePullRequestLabeled } from "./handle-labeled.js";
import type { WebDeps } from "./web-deps.js";

export function createTaskboxApp(deps: WebDeps): ApplicationFunction {
  return (app) => {
    app.on("issue_comment.created", (context) => handleIssueComment(context, deps));
    app.on("issues.labeled", (context) => handleIssueLabeled(context, deps));
    app.on("pull_request.labeled", (context) => handlePullRequestLabeled(context, deps));
  };
}
