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

type IssuesLabeledEvent = Context<"issues.labeled">["payload"];
type PullRequestLabeledEvent = Context<"pull_request.labeled">["payload"];

export interface LabeledOptions {
  /** Who added the label. */
  login?: string;
  userType?: "User" | "Bot";
  label?: string;
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  number?: number;
  title?: string;
  body?: string | null;
  /** Who opened the issue or pull request. */
  author?: string;
  installationId?: number;
}

export interface PullRequestLabeledOptions extends LabeledOptions {
  headRef?: string;
  headSha?: string;
  baseRef?: string;
  /** The repository the head branch lives in, "owner/repo"; another one than the base makes a fork pull request. */
  headRepo?: string;
  state?: "open" | "closed";
}

function pointAt<T extends { repository: IssueCommentCreatedEvent["repository"] }>(
  payload: T,
  options: LabeledOptions,
): void {
  const owner = options.owner ?? "octo";
  const repo = options.repo ?? "hello";
  payload.repository.name = repo;
  payload.repository.full_name = `${owner}/${repo}`;
  payload.repository.owner = { ...payload.repository.owner, login: owner };
  payload.repository.default_branch = options.defaultBranch ?? "main";
}

/** The official issues.labeled example: a label added to an issue of our test repository. */
export function issuesLabeled(options: LabeledOptions = {}): IssuesLabeledEvent {
  const payload = example<IssuesLabeledEvent>("issues", "labeled");
  const login = options.login ?? "maintainer";
  pointAt(payload, options);
  payload.label = { ...payload.label!, name: options.label ?? "taskbox" };
  payload.sender = { ...payload.sender, login, type: options.userType ?? "User" };
  payload.issue.number = options.number ?? 1;
  payload.issue.title = options.title ?? "Signup form accepts empty e-mail";
  payload.issue.body =
    options.body === undefined ? "Submitting the form with an empty e-mail shows a server error." : options.body;
  payload.issue.user = { ...payload.issue.user!, login: options.author ?? login };
  delete payload.issue.pull_request;
  payload.installation = { id: options.installationId ?? 42, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };
  return payload;
}

/** The official pull_request.labeled example: a label added to a pull request of our test repository. */
export function pullRequestLabeled(options: PullRequestLabeledOptions = {}): PullRequestLabeledEvent {
  const payload = example<PullRequestLabeledEvent>("pull_request", "labeled");
  const login = options.login ?? "maintainer";
  const owner = options.owner ?? "octo";
  const repo = options.repo ?? "hello";
  pointAt(payload, options);
  const number = options.number ?? 100;
  payload.number = number;
  payload.label = { ...payload.label!, name: options.label ?? "taskbox" };
  payload.sender = { ...payload.sender, login, type: options.userType ?? "User" };
  const pull = payload.pull_request;
  pull.number = number;
  pull.state = options.state ?? "open";
  pull.merged_at = null;
  pull.title = options.title ?? "Validate the signup form";
  pull.body = options.body === undefined ? "Adds validation." : options.body;
  pull.user = { ...pull.user, login: options.author ?? "taskbox[bot]" } as typeof pull.user;
  const headRepo = options.headRepo ?? `${owner}/${repo}`;
  const [headOwner, headName] = headRepo.split("/") as [string, string];
  pull.head = {
    ...pull.head,
    ref: options.headRef ?? "taskbox/1-abcdef12",
    sha: options.headSha ?? "0".repeat(40),
    repo: {
      ...pull.head.repo!,
      name: headName,
      full_name: headRepo,
      owner: { ...pull.head.repo!.owner, login: headOwner } as NonNullable<typeof pull.head.repo>["owner"],
    },
  };
  pull.base = {
    ...pull.base,
    ref: options.baseRef ?? "main",
    repo: {
      ...pull.base.repo,
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { ...pull.base.repo.owner, login: owner } as typeof pull.base.repo.owner,
    },
  };
  payload.installation = { id: options.installationId ?? 42, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" };
  return payload;
}
