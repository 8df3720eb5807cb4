import type { FakeComment, FakeGitHub, FakePermission, FakePull } from "./fake-github.js";
import type { FakeRepos } from "./fake-github-git.js";
import { answerGraphql } from "./fake-github-graphql.js";
import { invalid, notFound, paginate, type Reply } from "./fake-github-http.js";

export interface RouteRequest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each route reads the JSON body GitHub documents for it
  body: any;
  query: URLSearchParams;
  url: URL;
  accept: string;
  authorization: string;
}
export type Route = (params: string[], request: RouteRequest) => Promise<Reply> | Reply;
type RepoRoute = (owner: string, repo: string, params: string[], request: RouteRequest) => Promise<Reply> | Reply;

// The legacy `permission` field GitHub reports for each role.
const ROLE_PERMISSION: Record<FakePermission, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

/** Every route under /repos/:owner/:repo, /users and /graphql, answering from the fake's state. */
export function repositoryRoutes(fake: FakeGitHub, repos: FakeRepos, slug: string): [string, RegExp, Route][] {
  const userIds = new Map<string, number>();
  const commentTimes = new Map<number, { created: string; updated: string }>(); // of the comments the app posts
  let nextId = 1000;

  const inRepo =
    (route: RepoRoute): Route =>
    ([owner, repo, ...params], request) =>
      repos.defaultBranch(owner!, repo!) !== undefined ? route(owner!, repo!, params, request) : notFound();
  const pullOf = (owner: string, repo: string, number: number) =>
    fake.pulls.find((p) => p.number === number && (p.repo ?? `${owner}/${repo}`) === `${owner}/${repo}`);
  const issueExists = (owner: string, repo: string, number: number) =>
    fake.issues.get(`${owner}/${repo}`)?.has(number) === true || pullOf(owner, repo, number) !== undefined;
  const inIssue =
    (route: RepoRoute): RepoRoute =>
    (owner, repo, params, request) =>
      issueExists(owner, repo, Number(params[0])) ? route(owner, repo, params, request) : notFound();
  const commentOf = (owner: string, repo: string, id: number) =>
    fake.comments.find((c) => c.id === id && issueExists(owner, repo, c.issueNumber));

  const times = (comment: FakeComment) => {
    const recorded = commentTimes.get(comment.id);
    const created = comment.createdAt ?? recorded?.created ?? new Date(0).toISOString();
    return { created, updated: comment.updatedAt ?? recorded?.updated ?? created };
  };
  const commentJson = (comment: FakeComment, owner: string, repo: string) => ({
    id: comment.id,
    body: comment.body,
    html_url: `${fake.url}/${owner}/${repo}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    user: { login: comment.user, type: comment.user.endsWith("[bot]") ? "Bot" : "User" },
    created_at: times(comment).created,
    updated_at: times(comment).updated,
  });
  const pullJson = async (pull: FakePull, owner: string, repo: string) => {
    const headRepo = pull.headRepo ?? `${owner}/${repo}`;
    const repoJson = (fullName: string) => ({
      full_name: fullName,
      name: fullName.split("/")[1],
      owner: { login: fullName.split("/")[0] },
    });
    const author = pull.user ?? `${slug}[bot]`;
    return {
      ...pull,
      state: pull.state ?? "open",
      merged_at: null,
      user: { login: author, type: author.endsWith("[bot]") ? "Bot" : "User" },
      head: {
        ref: pull.head,
        label: `${headRepo.split("/")[0]}:${pull.head}`,
        sha: (await repos.commitOf(owner, repo, pull.head)) ?? "0".repeat(40),
        repo: repoJson(headRepo),
      },
      base: { ref: pull.base, sha: await repos.commitOf(owner, repo, pull.base), repo: repoJson(`${owner}/${repo}`) },
    };
  };

  return [
    // Octokit sends a ref such as heads/taskbox/1-abc as one path segment (slashes as %2F).
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/heads(?:\/|%2F)(.+)$/i,
      inRepo(async (owner, repo, [branch]) => {
        const sha = await repos.commitOf(owner, repo, branch!);
        return sha
          ? { status: 200, json: { ref: `refs/heads/${branch}`, object: { sha, type: "commit" } } }
          : notFound();
      }),
    ],
    [
      "DELETE",
      /^\/repos\/([^/]+)\/([^/]+)\/git\/refs\/heads(?:\/|%2F)(.+)$/i,
      inRepo(async (owner, repo, [branch]) => {
        if (!(await repos.commitOf(owner, repo, branch!))) return invalid("Reference does not exist");
        await repos.git(owner, repo, ["update-ref", "-d", `refs/heads/${branch}`]);
        return { status: 204 };
      }),
    ],
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
        const json = {
          full_name: `${owner}/${repo}`,
          name: repo,
          owner: { login: owner },
          default_branch: repos.defaultBranch(owner, repo),
          private: false,
        };
        return { status: 200, json };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/,
      inRepo(async (owner, repo, [branch]) => {
        const sha = await repos.commitOf(owner, repo, branch!);
        return sha ? { status: 200, json: { name: branch, commit: { sha }, protected: false } } : notFound();
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
        const ref = query.get("ref") ?? repos.defaultBranch(owner, repo)!;
        const content = await repos.readFile(owner, repo, ref, path!);
        if (!content) return notFound();
        if (accept.includes("raw")) return { status: 200, raw: content };
        const name = path!.split("/").pop();
        const json = {
          type: "file",
          path,
          name,
          size: content.length,
          encoding: "base64",
          content: content.toString("base64"),
        };
        return { status: 200, json };
      }),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
      inRepo((owner, repo, [id], { body }) => {
        if (!commentOf(owner, repo, Number(id)) && !fake.webhookComments.has(Number(id))) return notFound();
        fake.reactions.push({ commentId: Number(id), content: body.content });
        return { status: 201, json: { id: nextId++, content: body.content } };
      }),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      inRepo(
        inIssue((owner, repo, [issue], { body }) => {
          const comment: FakeComment = {
            id: nextId++,
            issueNumber: Number(issue),
            body: body.body,
            user: `${slug}[bot]`,
            edits: [body.body],
          };
          const now = new Date().toISOString();
          commentTimes.set(comment.id, { created: now, updated: now });
          fake.comments.push(comment);
          return { status: 201, json: commentJson(comment, owner, repo) };
        }),
      ),
    ],
    [
      "PATCH",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
      inRepo((owner, repo, [id], { body }) => {
        const comment = commentOf(owner, repo, Number(id));
        if (!comment) return notFound();
        comment.body = body.body;
        comment.edits.push(body.body);
        commentTimes.set(comment.id, { created: times(comment).created, updated: new Date().toISOString() });
        delete comment.updatedAt;
        return { status: 200, json: commentJson(comment, owner, repo) };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      inRepo(
        inIssue((owner, repo, [issue], { query, url }) => {
          // `since` filters by the last update, as GitHub's does.
          const since = query.get("since");
          const listed = fake.comments.filter(
            (c) => c.issueNumber === Number(issue) && (since === null || times(c).updated >= since),
          );
          return paginate(
            listed.map((c) => commentJson(c, owner, repo)),
            url,
          );
        }),
      ),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls$/,
      inRepo(async (owner, repo, _params, { body }) => {
        const head = String(body.head).replace(/^[^:]+:/, "");
        if (!(await repos.commitOf(owner, repo, head))) return invalid(`head branch ${head} does not exist`);
        if (fake.pulls.some((p) => p.head === head && p.repo === `${owner}/${repo}` && p.state !== "closed")) {
          return invalid(`A pull request already exists for ${owner}:${head}.`);
        }
        const pull = fake.openPull(owner, repo, { title: body.title, body: body.body ?? "", head, base: body.base });
        return { status: 201, json: await pullJson(pull, owner, repo) };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
      inRepo(async (owner, repo, [number], { accept }) => {
        const pull = pullOf(owner, repo, Number(number));
        if (!pull) return notFound();
        if (!accept.includes("diff")) return { status: 200, json: await pullJson(pull, owner, repo) };
        const diff = await repos.git(owner, repo, ["diff", `refs/heads/${pull.base}...refs/heads/${pull.head}`]);
        return { status: 200, raw: diff };
      }),
    ],
    [
      "GET",
      /^\/repos\/([^/]+)\/([^/]+)\/pulls$/,
      inRepo(async (owner, repo, _params, { query, url }) => {
        const head = query.get("head");
        const state = query.get("state") ?? "open";
        const listed = fake.pulls.filter(
          (p) =>
            p.repo === `${owner}/${repo}` &&
            (state === "all" || (p.state ?? "open") === state) &&
            (!head || head === `${(p.headRepo ?? p.repo).split("/")[0]}:${p.head}`),
        );
        return paginate(await Promise.all(listed.map((p) => pullJson(p, owner, repo))), url);
      }),
    ],
    [
      "DELETE",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels\/(.+)$/,
      inRepo(
        inIssue((_owner, _repo, [issue, name]) => {
          fake.removedLabels.push({ issueNumber: Number(issue), name: name! });
          return { status: 200, json: [] };
        }),
      ),
    ],
    [
      "POST",
      /^\/graphql$/,
      (_params, { body }) =>
        answerGraphql(body, {
          repositoryExists: (owner, name) => repos.defaultBranch(owner, name) !== undefined,
          pullExists: (owner, name, number) => pullOf(owner, name, number) !== undefined,
          threads: (pullNumber) => fake.reviewThreads.filter((t) => t.pullNumber === pullNumber),
        }),
    ],
  ];
}
