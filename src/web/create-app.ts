import type { ApplicationFunction } from "probot";
import { handleIssueComment, type WebDeps } from "./handle-issue-comment.js";

export function createTaskboxApp(deps: WebDeps): ApplicationFunction {
  return (app, { addHandler }) => {
    app.on("issue_comment.created", (context) => handleIssueComment(context, deps));
    addHandler((req, res) => {
      if (req.method !== "GET" || req.url !== "/healthz") return false;
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return true;
    });
  };
}
