import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { runGit } from "../../src/git/run-git.js";
import { createFakeWebhooks, deliveryRoutes, type FakeWebhooks } from "./fake-deliveries.js";
import { createFakeOAuth, handleOAuthPage, oauthApiRoutes, type FakeOAuth } from "./fake-oauth.js";

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  /** Every body the comment had, in order; the first is the one it was created with. */
  edits: string[];
  /** ISO time; defaults to when the fake received it. */
  createdAt?: string;
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
}
/** An unresolved-or-not review thread, as the GraphQL API reports it. */
export interface FakeReviewThread {
  pullNumber: number;
  path: string;
  line: number | null;
  isResolved?: boolean;
  isOutdated?: boolean;
  comments: { author: string; body: string; createdAt?: string }[];
}
export type FakePermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export interface FakeGitHub {
  url: string;
  host: string;
  apiUrl: string;
  /** What POST /app/installations/:id/access_tokens returns; git over HTTP accepts only this (Basic x-access-token:<token>). */
  installationToken: string;
  comments: FakeComment[];
  pulls: FakePull[];
  reactions: { commentId: number; content: string }[];
  requests: { method: string; path: string }[];
  /** Review threads served by the GraphQL API (reviewThreads of a pull request). */
  reviewThreads: FakeReviewThread[];
  /** Labels removed with DELETE /repos/:o/:r/issues/:n/labels/:name, in order. */
  removedLabels: { issueNumber: number; name: string }[];
  /** login → permission on every repository; "none" when absent. */
  permissions: Map<string, FakePermission>;
  /** A bare repository with one commit of `files` on the default branch (main unless given); returns the commit sha. */
  createRepo(
    owner: string,
    name: string,
    files: Record<string, string | Buffer>,
    options?: { defaultBranch?: string },
  ): Promise<string>;
  readFile(owner: string, name: string, ref: string, path: string): Promise<Buffer | undefined>;
  commitOf(owner: string, name: string, ref: string): Promise<string | undefined>;
  /** Adds a commit with `files` (written over the branch's tree) to a branch, creating it from `from` if needed; returns its sha. */
  pushCommit(
    owner: string,
    name: string,
    branch: string,
    files: Record<string, string>,
    options?: { from?: string; message?: string },
  ): Promise<string>;
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

interface Reply {
  status: number;
  json?: unknown;
  raw?: Buffer;
  headers?: Record<string, string>;
}
interface RouteRequest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each route reads the JSON body GitHub documents for it
  body: any;
  query: URLSearchParams;
  accept: string;
  authorization: string;
}
type Route = (params: string[], request: RouteRequest) => Promise<Reply> | Reply;
type RepoRoute = (owner: string, repo: string, params: string[], request: RouteRequest) => Promise<Reply> | Reply;

// Fixed identity and dates make createRepo deterministic, like a real first commit would be.
const FIXTURE_AUTHOR = {
  GIT_AUTHOR_NAME: "Fixture Author",
  GIT_AUTHOR_EMAIL: "fixture@example.com",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_NAME: "Fixture Author",
  GIT_COMMITTER_EMAIL: "fixture@example.com",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
};
// The legacy `permission` field GitHub reports for each role.
const ROLE_PERMISSION: Record<FakePermission, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};
const notFound: Reply = { status: 404, json: { message: "Not Found" } };
const invalid = (message: string): Reply => ({
  status: 422,
  json: { message: "Validation Failed", errors: [{ message }] },
});

export async function startFakeGitHub(options: { appSlug?: string } = {}): Promise<FakeGitHub> {
  const slug = options.appSlug ?? "taskbox";
  const root = await mkdtemp(join(tmpdir(), "fake-github-"));
  const repos = new Map<string, { defaultBranch: string }>();
  const pullRepo = new Map<number, string>();
  const userIds = new Map<string, number>();
  const createdAt = new Map<number, string>(); // of the comments the app posts
  let nextId = 1000;
  const repoDir = (owner: string, name: string) => join(root, owner, `${name}.git`);
  const git = async (
    owner: string,
    name: string,
    args: string[],
    extra: { input?: Buffer; env?: Record<string, string> } = {},
  ) => (await runGit(args, { cwd: repoDir(owner, name), ...extra })).stdout;

  const faults: FakeFault[] = [];
  const fake: FakeGitHub = {
    url: "",
    host: "",
    apiUrl: "",
    installationToken: `ghs_fake${Math.random().toString(36).slice(2)}`,
    comments: [],
    pulls: [],
    reactions: [],
    requests: [],
    reviewThreads: [],
    removedLabels: [],
    permissions: new Map(),
    webhooks: createFakeWebhooks(),
    oauth: createFakeOAuth(),
    injectFault(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },

    async createRepo(owner, name, files, repoOptions = {}) {
      const defaultBranch = repoOptions.defaultBranch ?? "main";
      await mkdir(repoDir(owner, name), { recursive: true });
      await git(owner, name, ["init", "--quiet", "--bare", `--initial-branch=${defaultBranch}`]);
      await git(owner, name, ["config", "http.receivepack", "true"]);
      await git(owner, name, ["config", "uploadpack.allowReachableSHA1InWant", "true"]); // GitHub serves fetches by sha
      const index = { GIT_INDEX_FILE: join(repoDir(owner, name), "fixture-index") };
      for (const [path, content] of Object.entries(files)) {
        const blob = (await git(owner, name, ["hash-object", "-w", "--stdin"], { input: Buffer.from(content) }))
          .toString()
          .trim();
        await git(owner, name, ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], { env: index });
      }
      const tree = (await git(owner, name, ["write-tree"], { env: index })).toString().trim();
      const sha = (await git(owner, name, ["commit-tree", tree, "-m", "Initial commit"], { env: FIXTURE_AUTHOR }))
        .toString()
        .trim();
      await git(owner, name, ["update-ref", `refs/heads/${defaultBranch}`, sha]);
      await rm(index.GIT_INDEX_FILE, { force: true });
      repos.set(`${owner}/${name}`, { defaultBranch });
      return sha;
    },
    async readFile(owner, name, ref, path) {
      if (!repos.has(`${owner}/${name}`)) return undefined;
      return git(owner, name, ["cat-file", "blob", `${ref}:${path}`]).catch(() => undefined);
    },
    async commitOf(owner, name, ref) {
      if (!repos.has(`${owner}/${name}`)) return undefined;
      const out = await git(owner, name, ["rev-parse", "--verify", "--quiet", `refs/heads/${ref}^{commit}`]).catch(
        () => undefined,
      );
      return out?.toString().trim();
    },
    async pushCommit(owner, name, branch, files, commitOptions = {}) {
      const parent =
        (await fake.commitOf(owner, name, branch)) ?? (await fake.commitOf(owner, name, commitOptions.from ?? "main"));
      if (!parent)
        throw new Error(`fake GitHub: no branch ${branch} (or ${commitOptions.from ?? "main"}) in ${owner}/${name}`);
      const index = { GIT_INDEX_FILE: join(repoDir(owner, name), `push-index-${nextId++}`) };
      await git(owner, name, ["read-tree", parent], { env: index });
      for (const [path, content] of Object.entries(files)) {
        const blob = (await git(owner, name, ["hash-object", "-w", "--stdin"], { input: Buffer.from(content) }))
          .toString()
          .trim();
        await git(owner, name, ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], { env: index });
      }
      const tree = (await git(owner, name, ["write-tree"], { env: index })).toString().trim();
      const message = commitOptions.message ?? "Human commit";
      const sha = (await git(owner, name, ["commit-tree", tree, "-p", parent, "-m", message], { env: FIXTURE_AUTHOR }))
        .toString()
        .trim();
      await git(owner, name, ["update-ref", `refs/heads/${branch}`, sha]);
      await rm(index.GIT_INDEX_FILE, { force: true });
      return sha;
    },
    openPull(owner, name, pullFields) {
      const number = 100 + fake.pulls.length;
      const pull: FakePull = { ...pullFields, number, html_url: `${fake.url}/${owner}/${name}/pull/${number}` };
      fake.pulls.push(pull);
      pullRepo.set(number, `${owner}/${name}`);
      return pull;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };

  const commentJson = (comment: FakeComment, owner: string, repo: string) => ({
    id: comment.id,
    body: comment.body,
    html_url: `${fake.url}/${owner}/${repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    user: { login: comment.user, type: comment.user.endsWith("[bot]") ? "Bot" : "User" },
    created_at: comment.createdAt ?? createdAt.get(comment.id) ?? new Date(0).toISOString(),
  });
  const pullJson = (pull: FakePull) => ({ ...pull, state: "open", head: { ref: pull.head }, base: { ref: pull.base } });
  // The full shape follow-ups read: head and base with their repositories and commits, author, state.
  const fullPullJson = async (pull: FakePull, owner: string, repo: string) => {
    const headRepo = pull.headRepo ?? `${owner}/${repo}`;
    const repoJson = (fullName: string) => ({
      full_name: fullName,
      name: fullName.split("/")[1],
      owner: { login: fullName.split("/")[0] },
    });
    return {
      ...pull,
      state: pull.state ?? "open",
      merged_at: null,
      user: { login: pull.user ?? `${slug}[bot]`, type: (pull.user ?? "[bot]").endsWith("[bot]") ? "Bot" : "User" },
      head: {
        ref: pull.head,
        sha: (await fake.commitOf(owner, repo, pull.head)) ?? "0".repeat(40),
        repo: repoJson(headRepo),
      },
      base: { ref: pull.base, sha: await fake.commitOf(owner, repo, pull.base), repo: repoJson(`${owner}/${repo}`) },
    };
  };
  const inRepo =
    (route: RepoRoute): Route =>
    ([owner, repo, ...params], request) =>
      repos.has(`${owner}/${repo}`) ? route(owner!, repo!, params, request) : notFound;

  const routes: [string, RegExp, Route][] = [
    ...deliveryRoutes(fake.webhooks, () => fake.apiUrl),
    ...oauthApiRoutes(fake.oauth, (owner, repo) => repos.has(`${owner}/${repo}`)),
    // Octokit sends a ref such as heads/taskbox/1-abc as one path segment (slashes as %2F).
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/heads(?:\/|%2F)(.+)$/i,
      inRepo(async (owner, repo, [branch]) => {
        const sha = await fake.commitOf(owner, repo, branch!);
        return sha ? { status: 200, json: { ref: `refs/heads/${branch}`, object: { sha, type: "commit" } } } : notFound;
      }),
    ],
    [
      "DELETE",
      /^\/repos\/([^/]+)\/([^/]+)\/git\/refs\/heads(?:\/|%2F)(.+)$/i,
      inRepo(async (owner, repo, [branch]) => {
        if (!(await fake.commitOf(owner, repo, branch!))) return invalid("Reference does not exist");
        await git(owner, repo, ["update-ref", "-d", `refs/heads/${branch}`]);
        return { status: 204 };
      }),
    ],
    [
      "POST",
      /^\/app\/installations\/(\d+)\/access_tokens$/,
      () => ({
        status: 201,
        json: {
          token: fake.installationToken,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: {},
        },
      }),
    ],
    ["GET", /^\/app$/, () => ({ status: 200, json: { id: 1, slug, name: slug } })],
    [
      "GET",
      /^\/users\/([^/]+)$/,
      ([login]) => {
        if (!userIds.has(login!)) userIds.set(login!, nextId++);
        return {
          status: 200,
          json: { login, id: userIds.get(login!), type: login!.endsWith("[bot]") ? "Bot" : "User" },
        };
      },
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)$/,
      inRepo((owner, repo) => {
        const { defaultBranch } = repos.get(`${owner}/${repo}`)!;
        const json = {
          full_name: `${owner}/${repo}`,
          name: repo,
          owner: { login: owner },
          default_branch: defaultBranch,
          private: false,
        };
        return { status: 200, json };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/,
      inRepo(async (owner, repo, [branch]) => {
        const sha = await fake.commitOf(owner, repo, branch!);
        return sha ? { status: 200, json: { name: branch, commit: { sha }, protected: false } } : notFound;
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/,
      inRepo((_owner, _repo, [user]) => {
        const role = fake.permissions.get(user!) ?? "none";
        return { status: 200, json: { permission: ROLE_PERMISSION[role], role_name: role, user: { login: user } } };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/,
      inRepo(async (owner, repo, [path], { query, accept }) => {
        const content = await fake.readFile(
          owner,
          repo,
          query.get("ref") ?? repos.get(`${owner}/${repo}`)!.defaultBranch,
          path!,
        );
        if (!content) return notFound;
        if (accept.includes("raw")) return { status: 200, raw: content };
        const name = path!.split("/").pop();
        return {
          status: 200,
          json: {
            type: "file",
            path,
            name,
            size: content.length,
            encoding: "base64",
            content: content.toString("base64"),
          },
        };
      }),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
      ([, , id], { body }) => {
        fake.reactions.push({ commentId: Number(id), content: body.content });
        return { status: 201, json: { id: nextId++, content: body.content } };
      },
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      inRepo((owner, repo, [issue], { body }) => {
        const comment: FakeComment = {
          id: nextId++,
          issueNumber: Number(issue),
          body: body.body,
          user: `${slug}[bot]`,
          edits: [body.body],
        };
        createdAt.set(comment.id, new Date().toISOString());
        fake.comments.push(comment);
        return { status: 201, json: commentJson(comment, owner, repo) };
      }),
    ],
    [
      "PATCH",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
      inRepo((owner, repo, [id], { body }) => {
        const comment = fake.comments.find((c) => c.id === Number(id));
        if (!comment) return notFound;
        comment.body = body.body;
        comment.edits.push(body.body);
        return { status: 200, json: commentJson(comment, owner, repo) };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      inRepo((owner, repo, [issue]) => ({
        status: 200,
        json: fake.comments.filter((c) => c.issueNumber === Number(issue)).map((c) => commentJson(c, owner, repo)),
      })),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls$/,
      inRepo(async (owner, repo, _params, { body }) => {
        const head = String(body.head).replace(/^[^:]+:/, "");
        if (!(await fake.commitOf(owner, repo, head))) return invalid(`head branch ${head} does not exist`);
        if (fake.pulls.some((p) => p.head === head && pullRepo.get(p.number) === `${owner}/${repo}`)) {
          return invalid(`A pull request already exists for ${owner}:${head}.`);
        }
        const number = 100 + fake.pulls.length;
        const html_url = `${fake.url}/${owner}/${repo}/pull/${number}`;
        const pull: FakePull = { number, title: body.title, body: body.body ?? "", head, base: body.base, html_url };
        fake.pulls.push(pull);
        pullRepo.set(number, `${owner}/${repo}`);
        return { status: 201, json: pullJson(pull) };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
      inRepo(async (owner, repo, [number], { accept }) => {
        const pull = fake.pulls.find(
          (p) => p.number === Number(number) && pullRepo.get(p.number) === `${owner}/${repo}`,
        );
        if (!pull) return notFound;
        if (!accept.includes("diff")) return { status: 200, json: await fullPullJson(pull, owner, repo) };
        return {
          status: 200,
          raw: await git(owner, repo, ["diff", `refs/heads/${pull.base}...refs/heads/${pull.head}`]),
        };
      }),
    ],
    [
      "DELETE",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels\/(.+)$/,
      inRepo((_owner, _repo, [issue, name]) => {
        fake.removedLabels.push({ issueNumber: Number(issue), name: name! });
        return { status: 200, json: [] };
      }),
    ],
    [
      "POST",
      /^\/graphql$/,
      (_params, { body }) => {
        // Serves the one query Taskbox sends: a pull request's review threads.
        const threads = fake.reviewThreads.filter((t) => t.pullNumber === Number(body.variables?.number));
        const nodes = threads.map((t) => ({
          isResolved: t.isResolved ?? false,
          isOutdated: t.isOutdated ?? false,
          path: t.path,
          line: t.line,
          originalLine: t.line,
          comments: {
            nodes: t.comments.map((c) => ({
              author: { login: c.author },
              body: c.body,
              createdAt: c.createdAt ?? new Date(0).toISOString(),
            })),
          },
        }));
        return { status: 200, json: { data: { repository: { pullRequest: { reviewThreads: { nodes } } } } } };
      },
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls$/,
      inRepo((owner, repo, _params, { query }) => {
        const head = query.get("head");
        const open = (query.get("state") ?? "open") !== "closed"; // every fake pull stays open
        const pulls = fake.pulls.filter(
          (p) => open && pullRepo.get(p.number) === `${owner}/${repo}` && (!head || head === `${owner}:${p.head}`),
        );
        return { status: 200, json: pulls.map(pullJson) };
      }),
    ],
  ];

  async function handleRest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // GitHub Enterprise serves REST under /api/v3 and GraphQL at /api/graphql.
    const path = url.pathname.startsWith("/api/v3/")
      ? url.pathname.slice("/api/v3".length)
      : url.pathname === "/api/graphql"
        ? "/graphql"
        : "";
    const text = Buffer.concat(await req.toArray()).toString("utf8");
    const request = {
      body: text ? JSON.parse(text) : {},
      query: url.searchParams,
      accept: req.headers.accept ?? "",
      authorization: req.headers.authorization ?? "",
    };
    let reply = notFound;
    const fault = faults.find((f) => f.method === req.method && f.path.test(path) && (f.times ?? 0) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      await fault.before?.();
      if (fault.status !== undefined) {
        res
          .writeHead(fault.status, { "content-type": "application/json; charset=utf-8", ...fault.headers })
          .end(JSON.stringify(fault.json ?? {}));
        return;
      }
    }
    for (const [method, pattern, route] of routes) {
      const match = method === req.method ? pattern.exec(path) : null;
      if (match) {
        reply = await route(match.slice(1).map(decodeURIComponent), request);
        break;
      }
    }
    if (reply.raw)
      res.writeHead(reply.status, { "content-type": "text/plain; charset=utf-8", ...reply.headers }).end(reply.raw);
    else
      res
        .writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers })
        .end(JSON.stringify(reply.json));
  }

  // Git smart HTTP: authenticate like GitHub, then hand the request to git's own CGI server.
  async function handleGit(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    owner: string,
    name: string,
  ): Promise<void> {
    const expected = `Basic ${Buffer.from(`x-access-token:${fake.installationToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' }).end("Unauthorized");
      return;
    }
    if (!repos.has(`${owner}/${name}`)) {
      res.writeHead(404).end("Repository not found");
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: root,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        REQUEST_METHOD: req.method ?? "GET",
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_USER: "x-access-token",
        REMOTE_ADDR: "127.0.0.1",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
      },
    });
    const stderr: Buffer[] = [];
    cgi.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    cgi.stdin.on("error", () => {}); // http-backend may stop reading early; its response says why
    const body =
      req.headers["content-encoding"] === "gzip" ? pipeline(req, createGunzip(), cgi.stdin) : pipeline(req, cgi.stdin);
    body.catch(() => {});

    let head = Buffer.alloc(0);
    for await (const chunk of cgi.stdout as AsyncIterable<Buffer>) {
      if (res.headersSent) {
        res.write(chunk);
        continue;
      }
      head = Buffer.concat([head, chunk]);
      const parsed = parseCgiHead(head);
      if (!parsed) continue;
      res.writeHead(parsed.status, parsed.headers);
      res.write(head.subarray(parsed.bodyStart));
    }
    if (!res.headersSent) res.writeHead(500).write(Buffer.concat(stderr));
    res.end();
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    fake.requests.push({ method: req.method ?? "", path: url.pathname });
    const gitPath = /^\/([^/]+)\/([^/]+)\.git\/(?:info\/refs|git-upload-pack|git-receive-pack)$/.exec(url.pathname);
    const work = gitPath
      ? handleGit(req, res, url, gitPath[1]!, gitPath[2]!)
      : handleOAuthPage(fake.oauth, req, res, url).then((handled) => (handled ? undefined : handleRest(req, res, url)));
    work.catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("fake GitHub did not get a TCP port");
  fake.host = `127.0.0.1:${address.port}`;
  fake.url = `http://${fake.host}`;
  fake.apiUrl = `${fake.url}/api/v3`;
  return fake;
}

/** Splits a CGI response's header block ("Status: 404 Not Found", other headers, blank line) from its body. */
function parseCgiHead(
  head: Buffer,
): { status: number; headers: Record<string, string>; bodyStart: number } | undefined {
  const crlf = head.indexOf("\r\n\r\n");
  const lf = head.indexOf("\n\n");
  const bodyStart = crlf >= 0 ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  if (bodyStart < 0) return undefined;
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of head.subarray(0, bodyStart).toString("latin1").split(/\r?\n/).filter(Boolean)) {
    const colon = line.indexOf(":");
    const [key, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    if (key.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else headers[key] = value;
  }
  return { status, headers, bodyStart };
}
