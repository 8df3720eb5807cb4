import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutRef } from "../../../src/git/checkout.js";
import { commitAndPush } from "../../../src/git/publish.js";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";

let fake: FakeGitHub;
let baseSha: string;
let token: string;

/** A JWT as an app signs it (RS256, issued by the app id, ten minutes to live). */
function appJwt(expiresIn = 600): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 60, exp: now + expiresIn, iss: 1 })}`;
  return `${unsigned}.${sign("sha256", Buffer.from(unsigned), privateKey).toString("base64url")}`;
}

async function api(
  method: string,
  path: string,
  body?: unknown,
  accept = "application/vnd.github+json",
  authorization = `token ${token}`,
) {
  const response = await fetch(`${fake.apiUrl}${path}`, {
    method,
    headers: { authorization, accept, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : undefined;
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    link: response.headers.get("link"),
    text,
    json,
  };
}

function gitAuth(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}

function pktLine(text: string): string {
  return (text.length + 4).toString(16).padStart(4, "0") + text;
}

beforeAll(async () => {
  fake = await startFakeGitHub({ appSlug: "taskbox-test" });
  const files = { ".github/taskbox.yml": "setup: npm ci\n", "a.txt": "a\n" };
  baseSha = await fake.createRepo("acme", "widgets", files, { defaultBranch: "trunk" });
  const minted = await api("POST", "/app/installations/42/access_tokens", undefined, undefined, `Bearer ${appJwt()}`);
  token = minted.json.token;
});

afterAll(async () => {
  await fake?.close();
});

describe("fake GitHub REST", () => {
  it("serves the app, tokens and users", async () => {
    const jwt = `Bearer ${appJwt()}`;
    const minted = await api("POST", "/app/installations/42/access_tokens", undefined, undefined, jwt);
    expect(minted.status).toBe(201);
    expect(minted.json.token).toBe(fake.installationToken);
    expect(Date.parse(minted.json.expires_at)).toBeGreaterThan(Date.now());
    expect((await api("GET", "/app", undefined, undefined, jwt)).json).toMatchObject({ id: 1, slug: "taskbox-test" });

    const bot = await api("GET", "/users/taskbox-test%5Bbot%5D");
    expect(bot.json).toMatchObject({ login: "taskbox-test[bot]", type: "Bot" });
    expect((await api("GET", "/users/taskbox-test%5Bbot%5D")).json.id).toBe(bot.json.id);
    const human = await api("GET", "/users/octocat");
    expect(human.json.type).toBe("User");
    expect(human.json.id).not.toBe(bot.json.id);
  });

  it("serves repositories, branches and permissions", async () => {
    const repo = await api("GET", "/repos/acme/widgets");
    expect(repo.json).toMatchObject({ full_name: "acme/widgets", default_branch: "trunk", private: false });
    expect((await api("GET", "/repos/acme/nothing")).status).toBe(404);
    expect((await api("GET", "/repos/acme/widgets/branches/trunk")).json).toMatchObject({
      name: "trunk",
      commit: { sha: baseSha },
    });
    expect((await api("GET", "/repos/acme/widgets/branches/main")).status).toBe(404);

    fake.permissions.set("mia", "maintain");
    const maintainer = await api("GET", "/repos/acme/widgets/collaborators/mia/permission");
    expect(maintainer.json).toEqual({ permission: "write", role_name: "maintain", user: { login: "mia" } });
    expect((await api("GET", "/repos/acme/widgets/collaborators/stranger/permission")).json.permission).toBe("none");
  });

  it("serves file contents raw or as base64 JSON from the default branch", async () => {
    const raw = await api(
      "GET",
      "/repos/acme/widgets/contents/.github%2Ftaskbox.yml",
      undefined,
      "application/vnd.github.v3.raw",
    );
    expect(raw).toMatchObject({ status: 200, type: "text/plain; charset=utf-8", text: "setup: npm ci\n" });
    const json = await api("GET", "/repos/acme/widgets/contents/a.txt");
    expect(Buffer.from(json.json.content, "base64").toString()).toBe("a\n");
    expect((await api("GET", "/repos/acme/widgets/contents/missing.txt")).status).toBe(404);
    expect((await api("GET", "/repos/acme/.github/contents/.github%2Ftaskbox.yml")).status).toBe(404);
  });

  it("records comments with their edit history and reactions", async () => {
    fake.createIssue("acme", "widgets", 7);
    const created = await api("POST", "/repos/acme/widgets/issues/7/comments", { body: "queued" });
    expect(created.status).toBe(201);
    expect(created.json.user).toEqual({ login: "taskbox-test[bot]", type: "Bot" });
    const edited = await api("PATCH", `/repos/acme/widgets/issues/comments/${created.json.id}`, { body: "running" });
    expect(edited.json.body).toBe("running");
    expect(fake.comments.find((c) => c.id === created.json.id)).toEqual({
      id: created.json.id,
      issueNumber: 7,
      body: "running",
      user: "taskbox-test[bot]",
      edits: ["queued", "running"],
    });
    expect(
      (await api("GET", "/repos/acme/widgets/issues/7/comments")).json.map((c: { body: string }) => c.body),
    ).toEqual(["running"]);
    expect((await api("PATCH", "/repos/acme/widgets/issues/comments/999999", { body: "x" })).status).toBe(404);

    expect((await api("POST", "/repos/acme/widgets/issues/comments/555/reactions", { content: "eyes" })).status).toBe(
      404,
    );
    fake.learnFrom({ repository: { full_name: "acme/widgets" }, issue: { number: 7 }, comment: { id: 555 } });
    expect((await api("POST", "/repos/acme/widgets/issues/comments/555/reactions", { content: "eyes" })).status).toBe(
      201,
    );
    expect(fake.reactions).toContainEqual({ commentId: 555, content: "eyes" });
  });

  it("opens pull requests only for pushed branches, once per head", async () => {
    const missing = await api("POST", "/repos/acme/widgets/pulls", {
      title: "t",
      body: "b",
      head: "taskbox/nope",
      base: "trunk",
    });
    expect(missing.status).toBe(422);

    await pushBranch("taskbox/pr");
    const opened = await api("POST", "/repos/acme/widgets/pulls", {
      title: "Add b",
      body: "why",
      head: "taskbox/pr",
      base: "trunk",
    });
    expect(opened.status).toBe(201);
    expect(opened.json.html_url).toBe(`${fake.url}/acme/widgets/pull/${opened.json.number}`);
    expect(fake.pulls).toEqual([
      {
        number: opened.json.number,
        title: "Add b",
        body: "why",
        head: "taskbox/pr",
        base: "trunk",
        repo: "acme/widgets",
        html_url: opened.json.html_url,
      },
    ]);
    expect(
      (await api("POST", "/repos/acme/widgets/pulls", { title: "t", head: "acme:taskbox/pr", base: "trunk" })).status,
    ).toBe(422);

    const listed = await api("GET", "/repos/acme/widgets/pulls?head=acme:taskbox/pr&state=open");
    expect(listed.json.map((p: { number: number }) => p.number)).toEqual([opened.json.number]);
    expect((await api("GET", "/repos/acme/widgets/pulls?head=acme:other&state=open")).json).toEqual([]);
  });

  it("answers unknown routes with a recorded 404", async () => {
    const response = await api("DELETE", "/repos/acme/widgets/hooks/1");
    expect(response).toMatchObject({ status: 404, json: { message: "Not Found" } });
    expect(fake.requests).toContainEqual({ method: "DELETE", path: "/api/v3/repos/acme/widgets/hooks/1" });
  });
});

describe("fake GitHub, as faithful as Taskbox needs", () => {
  it("refuses REST calls without a minted installation token, and app routes without the app's JWT", async () => {
    const missing = await api("GET", "/repos/acme/widgets", undefined, undefined, "");
    expect(missing).toMatchObject({ status: 401, json: { message: "Requires authentication", status: "401" } });
    const wrong = await api("GET", "/repos/acme/widgets", undefined, undefined, "token ghs_guessed");
    expect(wrong).toMatchObject({
      status: 401,
      json: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" },
    });
    expect((await api("GET", "/repos/acme/widgets", undefined, undefined, `Bearer ${token}`)).status).toBe(200);
    expect((await api("GET", "/app")).json).toMatchObject({
      message: "A JSON web token could not be decoded",
    });
    expect((await api("GET", "/app", undefined, undefined, `Bearer ${appJwt(-60)}`)).status).toBe(401);
  });

  it("answers 404 with GitHub's body for an unknown repository, issue, pull request, comment and ref", async () => {
    const notFound = { status: 404, json: { message: "Not Found", status: "404" } };
    expect(await api("GET", "/repos/acme/nothing/pulls")).toMatchObject(notFound);
    expect(await api("POST", "/repos/acme/widgets/issues/404/comments", { body: "x" })).toMatchObject(notFound);
    expect(await api("GET", "/repos/acme/widgets/issues/404/comments")).toMatchObject(notFound);
    expect(await api("GET", "/repos/acme/widgets/pulls/404")).toMatchObject(notFound);
    expect(await api("PATCH", "/repos/acme/widgets/issues/comments/404", { body: "x" })).toMatchObject(notFound);
    expect(await api("GET", "/repos/acme/widgets/git/ref/heads%2Fnothing")).toMatchObject(notFound);
  });

  it("pages lists by per_page (30 by default, at most 100) and page, with Link, and filters comments by since", async () => {
    fake.createIssue("acme", "widgets", 8);
    for (let index = 0; index < 35; index++) {
      expect((await api("POST", "/repos/acme/widgets/issues/8/comments", { body: `c${index}` })).status).toBe(201);
    }
    const first = await api("GET", "/repos/acme/widgets/issues/8/comments");
    expect(first.json).toHaveLength(30);
    const next = `${fake.apiUrl}/repos/acme/widgets/issues/8/comments?page=2`;
    expect(first.link).toBe(`<${next}>; rel="next", <${next}>; rel="last"`);
    const second = await api("GET", "/repos/acme/widgets/issues/8/comments?page=2");
    expect(second.json.map((c: { body: string }) => c.body)).toEqual(["c30", "c31", "c32", "c33", "c34"]);
    expect(second.link).toContain('rel="prev"');
    expect(second.link).not.toContain('rel="next"');
    expect((await api("GET", "/repos/acme/widgets/issues/8/comments?per_page=500")).json).toHaveLength(35);
    expect((await api("GET", "/repos/acme/widgets/issues/8/comments?per_page=10&page=4")).json).toHaveLength(5);

    const before = new Date().toISOString();
    const [edited] = first.json as Array<{ id: number }>;
    await api("PATCH", `/repos/acme/widgets/issues/comments/${edited!.id}`, { body: "edited" });
    const since = await api("GET", `/repos/acme/widgets/issues/8/comments?since=${encodeURIComponent(before)}`);
    expect(since.json.map((c: { body: string }) => c.body)).toEqual(["edited"]);
  });

  it("reports closed pull requests as closed, and lists them by state", async () => {
    const closed = fake.openPull("acme", "widgets", {
      title: "old",
      body: "",
      head: "old",
      base: "trunk",
      state: "closed",
    });
    expect((await api("GET", `/repos/acme/widgets/pulls/${closed.number}`)).json.state).toBe("closed");
    const numbers = async (query: string) =>
      ((await api("GET", `/repos/acme/widgets/pulls?head=acme:old${query}`)).json as Array<{ number: number }>).map(
        (p) => p.number,
      );
    expect(await numbers("")).toEqual([]);
    expect(await numbers("&state=closed")).toEqual([closed.number]);
    expect(await numbers("&state=all")).toEqual([closed.number]);
  });

  it("validates GraphQL queries against GitHub's schema", async () => {
    const threads = fake.openPull("acme", "widgets", { title: "t", body: "", head: "threads", base: "trunk" });
    fake.reviewThreads.push({
      pullNumber: threads.number,
      path: "a.txt",
      line: 1,
      comments: [{ author: "mia", body: "why?" }],
    });
    const query = (fields: string) =>
      `query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $number) { reviewThreads(first: 10) { nodes { ${fields} } } } } }`;
    const variables = { owner: "acme", repo: "widgets", number: threads.number };
    const served = await api("POST", "/graphql", {
      query: query("path comments(first: 2) { nodes { body } }"),
      variables,
    });
    expect(served.json).toEqual({
      data: {
        repository: {
          pullRequest: { reviewThreads: { nodes: [{ path: "a.txt", comments: { nodes: [{ body: "why?" }] } }] } },
        },
      },
    });
    const unknown = await api("POST", "/graphql", { query: query("path resolvedBy"), variables });
    expect(unknown.status).toBe(200);
    expect(unknown.json.data).toBeUndefined();
    expect(unknown.json.errors[0].message).toContain("resolvedBy");
    const syntax = await api("POST", "/graphql", { query: "query { repository(", variables });
    expect(syntax.json.errors[0].message).toMatch(/Syntax Error/);
    const missing = await api("POST", "/graphql", { query: query("path"), variables: { ...variables, number: 9999 } });
    expect(missing.json).toMatchObject({
      data: { repository: { pullRequest: null } },
      errors: [{ type: "NOT_FOUND" }],
    });
  });
});

describe("fake GitHub git over HTTP", () => {
  it("requires the installation token", async () => {
    const url = `${fake.url}/acme/widgets.git/info/refs?service=git-upload-pack`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: gitAuth("wrong") } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: gitAuth(fake.installationToken) } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    expect(await ok.text()).toContain(`${baseSha} refs/heads/trunk`);
  });

  it("accepts gzip-encoded protocol v2 requests", async () => {
    const response = await fetch(`${fake.url}/acme/widgets.git/git-upload-pack`, {
      method: "POST",
      headers: {
        authorization: gitAuth(fake.installationToken),
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      body: gzipSync(`${pktLine("command=ls-refs\n")}0001${pktLine("ref-prefix refs/heads/\n")}0000`),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(`${baseSha} refs/heads/trunk`);
  });
});

/** Pushes one new commit on top of trunk to `branch`, as the worker does. */
async function pushBranch(branch: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "fake-github-test-"));
  try {
    await checkoutRef({
      dir: join(dir, "repo"),
      remoteUrl: `${fake.url}/acme/widgets.git`,
      token: fake.installationToken,
      ref: "trunk",
    });
    const patch = Buffer.from(
      "diff --git a/b.txt b/b.txt\nnew file mode 100644\n--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1 @@\n+b\n",
    );
    const author = { name: "t", email: "t@example.com" };
    await commitAndPush({
      dir: join(dir, "repo"),
      patch,
      branch,
      message: "Add b",
      author,
      token: fake.installationToken,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
