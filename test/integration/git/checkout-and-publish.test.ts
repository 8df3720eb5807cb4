import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutRef, MissingRefError } from "../../../src/git/checkout.js";
import { commitAndPush, PushRejectedError } from "../../../src/git/publish.js";
import { repositoryRemoteUrl } from "../../../src/git/remote-url.js";
import { GitError, runGit } from "../../../src/git/run-git.js";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
const AUTHOR = { name: "taskbox[bot]", email: "1000+taskbox[bot]@users.noreply.github.com" };

let fake: FakeGitHub;
let baseSha: string;
let remoteUrl: string;
const tempDirs: string[] = [];

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "taskbox-git-test-"));
  tempDirs.push(dir);
  return dir;
}

async function checkout(ref = "main"): Promise<string> {
  const dir = await emptyDir();
  await checkoutRef({ dir, remoteUrl, token: fake.installationToken, ref });
  return dir;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await runGit(args, { cwd: dir })).stdout.toString("utf8").trim();
}

/** What the sandbox produces: every change of a work tree as one binary diff. */
async function patchOf(dir: string, change: (dir: string) => Promise<void>): Promise<Buffer> {
  await change(dir);
  await runGit(["add", "--all"], { cwd: dir });
  return (await runGit(["diff", "--cached", "--binary"], { cwd: dir })).stdout;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  baseSha = await fake.createRepo("acme", "widgets", {
    "README.md": "# Widgets\n",
    "src/keep.txt": "old line\n",
    "src/remove.txt": "to be deleted\n",
  });
  remoteUrl = repositoryRemoteUrl({ owner: "acme", repo: "widgets", gheHost: fake.host, gheProtocol: "http" });
});

afterAll(async () => {
  await fake?.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("checkoutRef", () => {
  it("checks out a branch over HTTP with the token, detached at its commit", async () => {
    const dir = await checkout("main");
    expect(await git(dir, "rev-parse", "HEAD")).toBe(baseSha);
    expect(await readFile(join(dir, "src/keep.txt"), "utf8")).toBe("old line\n");
    await expect(runGit(["symbolic-ref", "--quiet", "HEAD"], { cwd: dir })).rejects.toBeInstanceOf(GitError);
    expect(await git(dir, "rev-list", "--count", "HEAD")).toBe("1");
  });

  it("checks out a full commit sha", async () => {
    const dir = await emptyDir();
    expect(await checkoutRef({ dir, remoteUrl, token: fake.installationToken, ref: baseSha })).toEqual({
      sha: baseSha,
    });
    expect(await readFile(join(dir, "README.md"), "utf8")).toBe("# Widgets\n");
  });

  it("leaves the token nowhere in the checkout", async () => {
    const dir = await checkout();
    expect(await git(dir, "remote", "get-url", "origin")).toBe(`http://${fake.host}/acme/widgets.git`);
    const encoded = Buffer.from(`x-access-token:${fake.installationToken}`).toString("base64");
    const gitFiles = await filesUnder(join(dir, ".git"));
    expect(gitFiles).toContain(join(dir, ".git", "config"));
    for (const file of gitFiles) {
      const text = (await readFile(file)).toString("latin1");
      expect(text, file).not.toContain(fake.installationToken);
      expect(text, file).not.toContain(encoded);
    }
  });

  it("fails with a clear GitError that does not contain a wrong token", async () => {
    const wrongToken = "ghs_wrongTokenValue123";
    const error = await checkoutRef({ dir: await emptyDir(), remoteUrl, token: wrongToken, ref: "main" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(/^git fetch failed: /);
    expect((error as GitError).message).toContain("rejected the credentials");
    expect((error as GitError).message).not.toContain(wrongToken);
    expect((error as GitError).exitCode).toBe(128);
  });

  it("names a missing branch or commit", async () => {
    const branchError = await checkout("gone").catch((e: unknown) => e);
    expect(branchError).toBeInstanceOf(MissingRefError);
    expect(branchError).toBeInstanceOf(GitError);
    expect((branchError as Error).message).toContain("branch gone does not exist on origin");

    const sha = "0123456789abcdef0123456789abcdef01234567";
    const shaError = await checkout(sha).catch((e: unknown) => e);
    expect((shaError as Error).message).toContain(`commit ${sha} does not exist on origin`);
  });

  it("refuses a directory that is not empty", async () => {
    const dir = await emptyDir();
    await writeFile(join(dir, "stray"), "x");
    await expect(checkoutRef({ dir, remoteUrl, token: fake.installationToken, ref: "main" })).rejects.toThrow(
      "not empty",
    );
  });
});

describe("commitAndPush", () => {
  const branch = "taskbox/task-1";
  let patch: Buffer;
  let commitSha: string;
  let diffstat: string;

  beforeAll(async () => {
    patch = await patchOf(await checkout(), async (dir) => {
      await writeFile(join(dir, "src/keep.txt"), "new line\n");
      await unlink(join(dir, "src/remove.txt"));
      await mkdir(join(dir, "docs"));
      await writeFile(join(dir, "docs/added.md"), "added\n");
      await writeFile(join(dir, "bytes.bin"), BINARY);
    });
    const message = "Change widgets\n\n#1 asked for it";
    ({ commitSha, diffstat } = await commitAndPush({
      dir: await checkout(),
      patch,
      branch,
      message,
      author: AUTHOR,
      token: fake.installationToken,
    }));
  });

  it("pushes one commit on top of the base, authored and committed by the given author", async () => {
    expect(await fake.commitOf("acme", "widgets", branch)).toBe(commitSha);
    const dir = await checkout(branch);
    expect(await git(dir, "rev-parse", "HEAD")).toBe(commitSha);
    // A depth-1 checkout hides parents from git log; the raw commit object still names them.
    const commit = await git(dir, "cat-file", "commit", "HEAD");
    const headers = commit.slice(0, commit.indexOf("\n\n"));
    const message = commit.slice(commit.indexOf("\n\n") + 2);
    expect(headers.split("\n").filter((line) => line.startsWith("parent "))).toEqual([`parent ${baseSha}`]);
    expect(headers).toMatch(
      new RegExp(`^author ${escape(AUTHOR.name)} <${escape(AUTHOR.email)}> \\d+ [+-]\\d{4}$`, "m"),
    );
    expect(headers).toMatch(
      new RegExp(`^committer ${escape(AUTHOR.name)} <${escape(AUTHOR.email)}> \\d+ [+-]\\d{4}$`, "m"),
    );
    expect(message).toBe("Change widgets\n\n#1 asked for it");
  });

  it("stores added, modified, deleted and binary files byte for byte", async () => {
    expect(await fake.readFile("acme", "widgets", branch, "bytes.bin")).toEqual(BINARY);
    expect((await fake.readFile("acme", "widgets", branch, "src/keep.txt"))?.toString()).toBe("new line\n");
    expect(await fake.readFile("acme", "widgets", branch, "src/remove.txt")).toBeUndefined();
    expect((await fake.readFile("acme", "widgets", branch, "docs/added.md"))?.toString()).toBe("added\n");
    expect((await fake.readFile("acme", "widgets", branch, "README.md"))?.toString()).toBe("# Widgets\n");
    expect(await fake.commitOf("acme", "widgets", "main")).toBe(baseSha);
  });

  it("reports the diffstat of the commit against its parent", () => {
    expect(diffstat).toMatch(/bytes\.bin\s+\|\s+Bin 0 -> 256 bytes/);
    expect(diffstat).toMatch(/src\/keep\.txt\s+\|\s+2 \+-/);
    expect(diffstat).toMatch(/src\/remove\.txt\s+\|\s+1 -/);
    expect(diffstat).toMatch(/docs\/added\.md\s+\|\s+1 \+/);
    expect(diffstat).toContain("4 files changed, 2 insertions(+), 2 deletions(-)");
  });

  it("never overwrites an existing branch, not even with a fast-forward", async () => {
    const again = commitAndPush({
      dir: await checkout(),
      patch,
      branch,
      message: "again",
      author: AUTHOR,
      token: fake.installationToken,
    });
    await expect(again).rejects.toBeInstanceOf(PushRejectedError);
    await expect(again).rejects.toThrow(/^push rejected: branch taskbox\/task-1 already exists on origin/);

    const onTop = await checkout(branch);
    const fastForward = await patchOf(await checkout(branch), (dir) =>
      writeFile(join(dir, "README.md"), "# Widgets 2\n"),
    );
    await expect(
      commitAndPush({
        dir: onTop,
        patch: fastForward,
        branch,
        message: "more",
        author: AUTHOR,
        token: fake.installationToken,
      }),
    ).rejects.toThrow(/^push rejected: /);
    expect(await fake.commitOf("acme", "widgets", branch)).toBe(commitSha);
  });

  it("rejects an empty patch as a programming error", async () => {
    const empty = {
      patch: Buffer.alloc(0),
      branch: "taskbox/empty",
      message: "m",
      author: AUTHOR,
      token: fake.installationToken,
    };
    await expect(commitAndPush({ dir: await checkout(), ...empty })).rejects.toThrow("non-empty patch");
    expect(await fake.commitOf("acme", "widgets", "taskbox/empty")).toBeUndefined();
  });

  it("fails with a GitError when the patch does not apply", async () => {
    const dir = await checkout(branch); // already has the change, so the patch conflicts
    await expect(
      commitAndPush({
        dir,
        patch,
        branch: "taskbox/conflict",
        message: "m",
        author: AUTHOR,
        token: fake.installationToken,
      }),
    ).rejects.toThrow(/^git apply failed: /);
  });
});
