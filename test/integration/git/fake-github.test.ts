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

async function api(method: string, path: string, body?: unknown, accept = "application/vnd.github+json") {
  const response = await fetch(`${fake.apiUrl}${path}`, {
    method,
    headers: { authorization: "token anything", accept, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const json = text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : undefined;
  return { status: response.status, type: response.headers.get("content-type"), text, json };
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
});

afterAll(async () => {
  await fake?.close();
});

describe("fake GitHub REST", () => {
  it("serves the app, tokens and users", async () => {
    const token = await api("POST", "/app/installations/42/access_tokens");
    expect(token.status).toBe(201);
    expect(token.json.token).toBe(fake.installationToken);
    expect(Date.parse(token.json.expires_at)).toBeGreaterThan(Date.now());
    expect((await api("GET", "/app")).json).toMatchObject({ id: 1, slug: "taskbox-test" });

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
