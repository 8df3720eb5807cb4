import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { runGit } from "../../src/git/run-git.js";

// Fixed identity and dates make createRepo deterministic, like a real first commit would be.
const FIXTURE_AUTHOR = {
  GIT_AUTHOR_NAME: "Fixture Author",
  GIT_AUTHOR_EMAIL: "fixture@example.com",
  GIT_AUTHOR_DATE: "2024-01-01T00:00:00Z",
  GIT_COMMITTER_NAME: "Fixture Author",
  GIT_COMMITTER_EMAIL: "fixture@example.com",
  GIT_COMMITTER_DATE: "2024-01-01T00:00:00Z",
};

/** The fake's repositories: bare git repositories under root, served over smart HTTP as GitHub serves them. */
export interface FakeRepos {
  /** A bare repository with one commit of `files` on the default branch (main unless given); returns the commit sha. */
  createRepo(
    owner: string,
    name: string,
    files: Record<string, string | Buffer>,
    /** symlinks: path → link target, committed as symbolic links. */
    options?: { defaultBranch?: string; symlinks?: Record<string, string> },
  ): Promise<string>;
  /** Whether the repository exists (was created). */
  has(owner: string, name: string): boolean;
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
  /** undefined when there is no such repository. */
  defaultBranch(owner: string, name: string): string | undefined;
  git(owner: string, name: string, args: string[]): Promise<Buffer>;
  /** The bare repository's directory, for fixtures that write history straight into it. */
  pathOf(owner: string, name: string): string;
  /** Git smart HTTP for /owner/name.git/...; git accepts only `token` (Basic x-access-token:<token>). */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    repo: { owner: string; name: string; token: string },
  ): Promise<void>;
}

export function createFakeRepos(root: string): FakeRepos {
  const repos = new Map<string, { defaultBranch: string }>();
  let nextIndex = 1;
  const repoDir = (owner: string, name: string) => join(root, owner, `${name}.git`);
  const git = async (
    owner: string,
    name: string,
    args: string[],
    extra: { input?: Buffer; env?: Record<string, string> } = {},
  ) => (await runGit(args, { cwd: repoDir(owner, name), ...extra })).stdout;

  const fake: FakeRepos = {
    pathOf: repoDir,
    async createRepo(owner, name, files, repoOptions = {}) {
      const defaultBranch = repoOptions.defaultBranch ?? "main";
      await mkdir(repoDir(owner, name), { recursive: true });
      await git(owner, name, ["init", "--quiet", "--bare", `--initial-branch=${defaultBranch}`]);
      await git(owner, name, ["config", "http.receivepack", "true"]);
      await git(owner, name, ["config", "uploadpack.allowReachableSHA1InWant", "true"]); // GitHub serves fetches by sha
      const indexFile = join(repoDir(owner, name), "fixture-index");
      const change = { branch: defaultBranch, files, symlinks: repoOptions.symlinks, message: "Initial commit" };
      const sha = await commitFiles((args, extra) => git(owner, name, args, extra), indexFile, change);
      repos.set(`${owner}/${name}`, { defaultBranch });
      return sha;
    },
    async readFile(owner, name, ref, path) {
      if (!repos.has(`${owner}/${name}`)) return undefined;
      return git(owner, name, ["cat-file", "blob", `${ref}:${path}`]).catch(() => undefined);
    },
    has: (owner, name) => repos.has(`${owner}/${name}`),
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
      const indexFile = join(repoDir(owner, name), `push-index-${nextIndex++}`);
      const change = { branch, files, parent, message: commitOptions.message ?? "Human commit" };
      return commitFiles((args, extra) => git(owner, name, args, extra), indexFile, change);
    },
    defaultBranch: (owner, name) => repos.get(`${owner}/${name}`)?.defaultBranch,
    git: (owner, name, args) => git(owner, name, args),
    serve: (req, res, url, repo) => handleGit(root, repos.has(`${repo.owner}/${repo.name}`), req, res, url, repo),
  };
  return fake;
}

// Git smart HTTP: authenticate like GitHub, then hand the request to git's own CGI server.
async function handleGit(
  root: string,
  exists: boolean,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  { token }: { token: string },
): Promise<void> {
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { "www-authenticate": 'Basic realm="GitHub"' }).end("Unauthorized");
    return;
  }
  if (!exists) {
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

type Git = (args: string[], extra?: { input?: Buffer; env?: Record<string, string> }) => Promise<Buffer>;

/** Writes `files` over the parent's tree (an empty one without a parent) as a new commit on the branch; its sha. */
async function commitFiles(
  git: Git,
  indexFile: string,
  change: {
    branch: string;
    files: Record<string, string | Buffer>;
    symlinks?: Record<string, string>;
    parent?: string;
    message: string;
  },
): Promise<string> {
  const env = { GIT_INDEX_FILE: indexFile };
  if (change.parent) await git(["read-tree", change.parent], { env });
  const entries = [
    ...Object.entries(change.files).map(([path, content]) => ({ path, content, mode: "100644" })),
    ...Object.entries(change.symlinks ?? {}).map(([path, content]) => ({ path, content, mode: "120000" })),
  ];
  for (const { path, content, mode } of entries) {
    const blob = (await git(["hash-object", "-w", "--stdin"], { input: Buffer.from(content) })).toString().trim();
    await git(["update-index", "--add", "--cacheinfo", `${mode},${blob},${path}`], { env });
  }
  const tree = (await git(["write-tree"], { env })).toString().trim();
  const parents = change.parent ? ["-p", change.parent] : [];
  const sha = (await git(["commit-tree", tree, ...parents, "-m", change.message], { env: FIXTURE_AUTHOR }))
    .toString()
    .trim();
  await git(["update-ref", `refs/heads/${change.branch}`, sha]);
  await rm(indexFile, { force: true });
  return sha;
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
