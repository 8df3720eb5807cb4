import type { FakeComment, FakeGitHub, FakePermission } from "./fake-github.js";
import type { FakeRepos } from "./fake-github-git.js";
import { routeContext, type RouteContext, type RouteTable } from "./fake-github-context.js";
import { answerGraphql } from "./fake-github-graphql.js";
import { invalid, notFound, paginate } from "./fake-github-http.js";

export type { Route, RouteRequest } from "./fake-github-context.js";

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
/** Every route under /repos/:owner/:repo, /users and /graphql, answering from the fake's state. */
export function repositoryRoutes(fake: FakeGitHub, repos: FakeRepos, slug: string): RouteTable {
  const context = routeContext(fake, repos, slug);
  return [...refRoutes(context), ...repositoryDataRoutes(context), ...commentRoutes(context), ...pullRoutes(context)];
}

/** Branches and their refs. */
function refRoutes(context: RouteContext): RouteTable {
  const { repos, inRepo } = context;
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
      /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/,
      inRepo(async (owner, repo, [branch]) => {
        const sha = await repos.commitOf(owner, repo, branch!);
        return sha ? { status: 200, json: { name: branch, commit: { sha }, protected: false } } : notFound();
      }),
    ],
  ];
}

/** The repository, roles, contents and users. */
function repositoryDataRoutes(context: RouteContext): RouteTable {
  const { fake, repos, inRepo, userIds, nextId } = context;
  return [
    [
      "GET",
      /^\/users\/([^/]+)$/,
      ([login]) => {
        if (!userIds.has(login!)) userIds.set(login!, nextId());
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
  ];
}

/** Issue comments (paged, `since`), reactions and labels. */
function commentRoutes(context: RouteContext): RouteTable {
  const { fake, slug, inRepo, inIssue, commentOf, commentJson, touch, nextId, times } = context;
  return [
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
      inRepo((owner, repo, [id], { body }) => {
        if (!commentOf(owner, repo, Number(id)) && !fake.webhookComments.has(Number(id))) return notFound();
        fake.reactions.push({ commentId: Number(id), content: body.content });
        return { status: 201, json: { id: nextId(), content: body.content } };
      }),
    ],
    [
      "POST",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      inRepo(
        inIssue((owner, repo, [issue], { body }) => {
          const comment: FakeComment = {
            id: nextId(),
            issueNumber: Number(issue),
            body: body.body,
            user: `${slug}[bot]`,
            edits: [body.body],
          };
          touch(comment, new Date().toISOString());
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
        touch(comment);
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
      "DELETE",
      /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels\/(.+)$/,
      inRepo(
        inIssue((_owner, _repo, [issue, name]) => {
          fake.removedLabels.push({ issueNumber: Number(issue), name: name! });
          return { status: 200, json: [] };
        }),
      ),
    ],
  ];
}

/** Pull requests (listed by state and head) and the GraphQL API. */
function pullRoutes(context: RouteContext): RouteTable {
  const { fake, repos, inRepo, pullOf, pullJson } = context;
  return [
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
