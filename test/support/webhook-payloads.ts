import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import type { Context } from "probot";

type IssueCommentCreatedEvent = Context<"issue_comment.created">["payload"];

const definitions = examples as unknown as WebhookDefinition[];

function example<T>(event: string, action: string): T {
  const definition = definitions.find((d) => d.name === event);
  const payload = definition?.examples.find((p) => (p as { action?: string }).action === action);
  if (!payload) throw new Error(`no ${event}.${action} example in @octokit/webhooks-examples`);
  return structuredClone(payload) as T;
}

export interface IssueCommentOptions {
  body: string;
  login?: string;
  userType?: "User" | "Bot";
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  issueNumber?: number;
  issueAuthor?: string;
  onPullRequest?: boolean;
  installationId?: number;
  commentId?: number;
}

/** The official issue_comment.created example, pointed at our test repository and commenter. */
export function issueCommentCreated(options: IssueCommentOptions): IssueCommentCreatedEvent {
  const payload = example<IssueCommentCreatedEvent>("issue_comment", "created");
  const login = options.login ?? "maintainer";
  const owner = options.owner ?? "octo";
  const repo = options.repo ?? "hello";
  payload.comment.id = options.commentId ?? 1;
  payload.comment.body = options.body;
  payload.comment.user = { ...payload.comment.user!, login, type: options.userType ?? "User" };
  payload.sender = { ...payload.sender, login, type: options.userType ?? "User" };
  payload.repository.name = repo;
  payload.repository.full_name = `${owner}/${repo}`;
  payload.repository.owner = { ...payload.repository.owner, login: owner };
  payload.repository.default_branch = options.defaultBranch ?? "main";
  payload.issue.number = options.issueNumber ?? 1;
  payload.issue.title = "Signup form accepts empty e-mail";
  payload.issue.body = "Submitting the form with an empty e-mail shows a server error.";
  payload.issue.user = { ...payload.issue.user, login: options.issueAuthor ?? login };
  if (options.onPullRequest) {
    payload.issue.pull_request = {
      url: `https://api.github.com/repos/${owner}/${repo}/pulls/${payload.issue.number}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${payload.issue.number}`,
      diff_url: "",
      patch_url: "",
      merged_at: null,
    };
  } else {
    delete payload.issue.pull_request;
  }
  payload.installation = { id: options.installationId ?? 42, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };
  return payload;
}
