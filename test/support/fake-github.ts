import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeWebhooks, deliveryRoutes, type FakeWebhooks } from "./fake-deliveries.js";
import { createFakeOAuth, handleOAuthPage, oauthApiRoutes, type FakeOAuth } from "./fake-oauth.js";
import { createFakeRepos, type FakeRepos } from "./fake-github-git.js";
import type { FakeReviewThread } from "./fake-github-graphql.js";
import { notFound, refuseUnauthorized, type Reply } from "./fake-github-http.js";
import type { RouteTable } from "./fake-github-context.js";
import { repositoryRoutes } from "./fake-github-routes.js";

export type { FakeReviewThread } from "./fake-github-graphql.js";

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  /** Every body the comment had, in order; the first is the one it was created with. */
  edits: string[];
  /** ISO time; defaults to when the fake received it. */
  createdAt?: string;
  /** ISO time of the last edit (what `since` filters by); defaults to createdAt. */
  updatedAt?: string;
}
export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  html_url: string;
  /** Who opened it; the app's bot when Taskbox did. */
  user?: string;
  /** "owner/repo" of the head branch when it is a fork. */
  headRepo?: string;
  state?: "open" | "closed";
  /** "owner/repo" the pull request belongs to. */
  repo?: string;
}
export type FakePermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export interface FakeGitHub extends Pick<FakeRepos, "createRepo" | "readFile" | "commitOf" | "pushCommit"> {
  /** The bare repository behind owner/name. */
  repoPath(owner: string, name: string): string;
  url: string;
  host: string;
  apiUrl: string;
  /**
   * What POST /app/installations/:id/access_tokens returns; git over HTTP accepts only this (Basic
   * x-access-token:<token>), and the REST API only once it was minted.
   */
  installationToken: string;
  comments: FakeComment[];
  pulls: FakePull[];
  reactions: { commentId: number; content: string }[];
  requests: { method: string; path: string }[];
  /** Issues by "owner/repo" (pull requests are issues too); see learnFrom. */
  issues: Map<string, Set<number>>;
  /** Ids of the comments that webhooks were about (comments the fake did not store, such as a command). */
  webhookComments: Set<number>;
  /** Review threads served by the GraphQL API (reviewThreads of a pull request). */
  reviewThreads: FakeReviewThread[];
  /** Labels removed with DELETE /repos/:o/:r/issues/:n/labels/:name, in order. */
  removedLabels: { issueNumber: number; name: string }[];
  /** login → permission on every repository; "none" when absent. */
  permissions: Map<string, FakePermission>;
  /** An issue as if someone opened it; an issue number is known once a webhook about it was delivered (learnFrom). */
  createIssue(owner: string, name: string, number: number): void;
  /** Records the issue or pull request a webhook payload is about, as GitHub had it before sending the webhook. */
  learnFrom(payload: object): void;
  /** A pull request as if someone opened it: `head` must exist. */
  openPull(owner: string, name: string, pull: Omit<FakePull, "number" | "html_url">): FakePull;
  /** The app's webhook and its deliveries API (GET /app/hook/deliveries, POST .../attempts). */
  webhooks: FakeWebhooks;
  /** The OAuth web flow of the app (sign-in to the task pages). */
  oauth: FakeOAuth;
  /**
   * The next `times` (default 1) API requests matching method and path first await `before`, then get `status` (and
   * `json`, `headers`) instead of their own answer; without a status they are answered as usual.
   */
  injectFault(fault: FakeFault): void;
  close(): Promise<void>;
}
export interface FakeFault {
  method: string;
  path: RegExp;
  status?: number;
  json?: unknown;
  headers?: Record<string, string>;
  times?: number;
  before?: () => Promise<void>;
}

export async function startFakeGitHub(options: { appSlug?: string } = {}): Promise<FakeGitHub> {
  const slug = options.appSlug ?? "taskbox";
  const root = await mkdtemp(join(tmpdir(), "fake-github-"));
  const repos = createFakeRepos(root);
  const minted = new Set<string>();
  const faults: FakeFault[] = [];
  // Installation tokens the fake minted, and user tokens its OAuth flow handed out: GitHub takes either on REST.
  const accepted = { has: (token: string) => minted.has(token) || fake.oauth.issuedTokens.includes(token) };
  const fake: FakeGitHub = {
    url: "",
    host: "",
    apiUrl: "",
    installationToken: `ghs_fake${Math.random().toString(36).slice(2)}`,
    comments: [],
    pulls: [],
    issues: new Map(),
    webhookComments: new Set(),
    reactions: [],
    requests: [],
    reviewThreads: [],
    removedLabels: [],
    permissions: new Map(),
    webhooks: createFakeWebhooks((payload) => fake.learnFrom(payload)),
    oauth: createFakeOAuth(),
    injectFault(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    createRepo: (...args) => repos.createRepo(...args),
    readFile: (...args) => repos.readFile(...args),
    commitOf: (...args) => repos.commitOf(...args),
    pushCommit: (...args) => repos.pushCommit(...args),
    repoPath: (...args) => repos.pathOf(...args),
    createIssue(owner, name, number) {
      const key = `${owner}/${name}`;
      fake.issues.set(key, (fake.issues.get(key) ?? new Set()).add(number));
    },
    learnFrom(payload) {
      const about = payload as {
        repository?: { full_name?: string };
        issue?: { number?: number };
        pull_request?: { number?: number };
        comment?: { id?: number };
      };
      if (about.comment?.id !== undefined) fake.webhookComments.add(about.comment.id);
      const [owner, name] = (about.repository?.full_name ?? "").split("/");
      const number = about.issue?.number ?? about.pull_request?.number;
      if (owner && name && number !== undefined) fake.createIssue(owner, name, number);
    },
    openPull(owner, name, pullFields) {
      const number = 100 + fake.pulls.length;
      const pull: FakePull = {
        ...pullFields,
        number,
        repo: `${owner}/${name}`,
        html_url: `${fake.url}/${owner}/${name}/pull/${number}`,
      };
      fake.pulls.push(pull);
      return pull;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };

  const routes: RouteTable = [
    ...deliveryRoutes(fake.webhooks, () => fake.apiUrl),
    ...oauthApiRoutes(fake.oauth, async (owner, repo) => repos.has(owner, repo)),
    [
      "POST",
      /^\/app\/installations\/(\d+)\/access_tokens$/,
      () => {
        minted.add(fake.installationToken);
        const expiresAt = new Date(Date.now() + 3600_000).toISOString();
        return { status: 201, json: { token: fake.installationToken, expires_at: expiresAt, permissions: {} } };
      },
    ],
    ["GET", /^\/app$/, () => ({ status: 200, json: { id: 1, slug, name: slug } })],
    ...repositoryRoutes(fake, repos, slug),
  ];

  const server = await listen((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "fake"}`);
    fake.requests.push({ method: req.method ?? "", path: url.pathname });
    const gitPath = /^\/([^/]+)\/([^/]+)\.git\/(?:info\/refs|git-upload-pack|git-receive-pack)$/.exec(url.pathname);
    return gitPath
      ? repos.serve(req, res, url, { owner: gitPath[1]!, name: gitPath[2]!, token: fake.installationToken })
      : handleOAuthPage(fake.oauth, req, res, url).then(async (handled) => {
          if (!handled) sendReply(res, await answerRest({ routes, faults, minted: accepted }, req, url));
        });
  });
  fake.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = `http://${fake.host}`;
  fake.apiUrl = `${fake.url}/api/v3`;
  return fake;
}

/** The injected fault's answer, if one matches and has a status. */
async function takeFault(faults: FakeFault[], method: string, path: string): Promise<Reply | undefined> {
  const fault = faults.find((f) => f.method === method && f.path.test(path) && (f.times ?? 0) > 0);
  if (!fault) return undefined;
  fault.times = (fault.times ?? 1) - 1;
  await fault.before?.();
  return fault.status === undefined
    ? undefined
    : { status: fault.status, json: fault.json ?? {}, headers: fault.headers };
}

/** Answers a REST or GraphQL request: an injected fault, GitHub's 401, the matching route, or 404. */
async function answerRest(
  { routes, faults, minted }: { routes: RouteTable; faults: FakeFault[]; minted: Pick<Set<string>, "has"> },
  req: IncomingMessage,
  url: URL,
): Promise<Reply> {
  // GitHub Enterprise serves REST under /api/v3 and GraphQL at /api/graphql.
  const path = url.pathname.startsWith("/api/v3/")
    ? url.pathname.slice("/api/v3".length)
    : url.pathname === "/api/graphql"
      ? "/graphql"
      : "";
  const text = Buffer.concat(await req.toArray()).toString("utf8");
  const method = req.method ?? "GET";
  const authorization = req.headers.authorization ?? "";
  const faulted = await takeFault(faults, method, path);
  if (faulted) return faulted;
  const refused = refuseUnauthorized(path, authorization, minted);
  if (refused) return refused;
  const request = {
    body: text ? JSON.parse(text) : {},
    query: url.searchParams,
    url,
    accept: req.headers.accept ?? "",
    authorization,
  };
  for (const [routeMethod, pattern, route] of routes) {
    const match = routeMethod === method ? pattern.exec(path) : null;
    if (match) return route(match.slice(1).map(decodeURIComponent), request);
  }
  return notFound();
}

function sendReply(res: ServerResponse, reply: Reply): void {
  if (reply.raw)
    res.writeHead(reply.status, { "content-type": "text/plain; charset=utf-8", ...reply.headers }).end(reply.raw);
  else
    res
      .writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers })
      .end(reply.json === undefined ? undefined : JSON.stringify(reply.json));
}

/** A loopback server whose handler's failures become a 500 with the error's message. */
async function listen(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
