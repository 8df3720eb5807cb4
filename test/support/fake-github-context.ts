import type { FakeComment, FakeGitHub, FakePull } from "./fake-github.js";
import type { FakeRepos } from "./fake-github-git.js";
import { notFound, type Reply } from "./fake-github-http.js";

export interface RouteRequest {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each route reads the JSON body GitHub documents for it
  body: any;
  query: URLSearchParams;
  url: URL;
  accept: string;
  authorization: string;
}
export type Route = (params: string[], request: RouteRequest) => Promise<Reply> | Reply;
export type RouteTable = [string, RegExp, Route][];
type RepoRoute = (owner: string, repo: string, params: string[], request: RouteRequest) => Promise<Reply> | Reply;

export type RouteContext = ReturnType<typeof routeContext>;

/** What the routes share: the fake's state, ids, existence checks (404s) and GitHub's JSON shapes. */
export function routeContext(fake: FakeGitHub, repos: FakeRepos, slug: string) {
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
  /** Records an edit of a comment (its creation, when created is given), as `since` and `updated_at` see it. */
  const touch = (comment: FakeComment, created?: string) => {
    const now = new Date().toISOString();
    commentTimes.set(comment.id, { created: created ?? times(comment).created, updated: now });
    delete comment.updatedAt;
  };
  return {
    fake,
    repos,
    slug,
    userIds,
    nextId: () => nextId++,
    inRepo,
    inIssue,
    pullOf,
    commentOf,
    times,
    touch,
    commentJson,
    pullJson,
  };
}
