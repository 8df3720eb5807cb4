import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutFromMirror, RepositoryTooLargeError, type GitMirrorSettings } from "../../../src/git/git-mirrors.js";
import { evictMirrors } from "../../../src/git/mirror-size.js";
import { repositoryRemoteUrl } from "../../../src/git/remote-url.js";
import { runGit } from "../../../src/git/run-git.js";
import { startFakeGitHub, type FakeGitHub } from "../../support/fake-github.js";
import { appendHistory } from "../../support/generate-repo.js";

const OWNER = "acme";
const FILES = 1500;
const COMMITS = 1200;
const log = pino({ level: "silent" });

let fake: FakeGitHub;
let root: string;
let settings: GitMirrorSettings;
let initialSha: string;

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await runGit(args, { cwd: dir })).stdout.toString("utf8").trim();
}

async function checkout(
  repo: string,
  ref: string,
  options: { depth?: number; limits?: Partial<GitMirrorSettings> } = {},
) {
  const dir = await mkdtemp(join(root, "task-"));
  const remoteUrl = repositoryRemoteUrl({ owner: OWNER, repo, gheHost: fake.host, gheProtocol: "http" });
  const { sha } = await checkoutFromMirror(
    { ...settings, ...options.limits },
    { dir, owner: OWNER, repo, remoteUrl, token: fake.installationToken, ref, depth: options.depth },
    log,
  );
  return { dir, sha };
}

async function objectCount(repository: string): Promise<number> {
  const counts = Object.fromEntries(
    (await git(repository, "count-objects", "-v")).split("\n").map((line) => line.split(": ") as [string, string]),
  );
  return Number(counts.count) + Number(counts["in-pack"]);
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  root = await mkdtemp(join(tmpdir(), "taskbox-mirrors-test-"));
  settings = { root: join(root, "git-mirrors"), maxRepoBytes: 512 * 1024 ** 2, maxCacheBytes: 1024 ** 3 };
  initialSha = await fake.createRepo(OWNER, "big", { "README.md": "# Big\n" });
  await appendHistory(fake.repoPath(OWNER, "big"), {
    files: FILES,
    commits: COMMITS,
    branch: "main",
    from: initialSha,
  });
  await fake.createRepo(OWNER, "small", { "README.md": "# Small\n" });
});

afterAll(async () => {
  await fake?.close();
  await rm(root, { recursive: true, force: true });
});

describe("checkoutFromMirror", () => {
  it("checks out the full history, then only fetches what is new, and never stores the token", async () => {
    const first = await checkout("big", "main");
    expect(await git(first.dir, "rev-list", "--count", "HEAD")).toBe(String(COMMITS + 1));
    expect((await git(first.dir, "ls-files")).split("\n")).toHaveLength(FILES + 1);
    expect(await git(first.dir, "remote", "get-url", "origin")).toMatch(/^http:\/\/[^@]+\/acme\/big\.git$/);

    const added = await fake.pushCommit(OWNER, "big", "main", { "NEW.md": "new\n" });
    const mirror = join(settings.root, OWNER, "big.git");
    const objectsBefore = await objectCount(mirror);
    const second = await checkout("big", "main");
    expect(second.sha).toBe(added);
    expect(await git(second.dir, "rev-list", "--count", "HEAD")).toBe(String(COMMITS + 2));
    // Incremental: the mirror got the new commit, its root tree and the new file, nothing else.
    expect((await objectCount(mirror)) - objectsBefore).toBe(3);

    const config = await git(mirror, "config", "--list", "--local");
    expect(config).not.toContain(fake.installationToken);
    expect(config).not.toMatch(/extraheader/i);
  });

  it("gives each of two tasks at once its own commit", async () => {
    const other = await fake.pushCommit(OWNER, "big", "feature", { "FEATURE.md": "f\n" }, { from: "main" });
    const main = await fake.commitOf(OWNER, "big", "main");
    const [onMain, onFeature] = await Promise.all([checkout("big", "main"), checkout("big", "feature")]);
    expect(onMain.sha).toBe(main);
    expect(onFeature.sha).toBe(other);
    expect(await git(onMain.dir, "rev-parse", "HEAD")).toBe(main);
    expect(await git(onFeature.dir, "rev-parse", "HEAD")).toBe(other);
  });

  it("checks out a commit by sha, and honours environment.history's depth", async () => {
    const byCommit = await checkout("big", initialSha);
    expect(await git(byCommit.dir, "rev-parse", "HEAD")).toBe(initialSha);
    const shallow = await checkout("big", "main", { depth: 5 });
    expect(await git(shallow.dir, "rev-list", "--count", "HEAD")).toBe("5");
  });

  it("refuses a repository over TASKBOX_MAX_REPO_BYTES and keeps none of it", async () => {
    const error = await checkout("big", "main", { limits: { root: join(root, "limited"), maxRepoBytes: 100 * 1024 } })
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RepositoryTooLargeError);
    expect((error as Error).message).toContain(
      "larger than this Taskbox allows (0.1 MiB of git data, TASKBOX_MAX_REPO_BYTES)",
    );
    await expect(stat(join(root, "limited", OWNER, "big.git"))).rejects.toThrow(/ENOENT/);
  });

  it("evicts the least recently used mirrors past TASKBOX_GIT_CACHE_BYTES, never the one in use", async () => {
    await checkout("small", "main");
    const small = join(settings.root, OWNER, "small.git");
    const big = join(settings.root, OWNER, "big.git");
    expect(await evictMirrors(settings.root, 1, small)).toStrictEqual([big]);
    await expect(stat(big)).rejects.toThrow(/ENOENT/);
    expect((await stat(small)).isDirectory()).toBe(true);
  });
});
