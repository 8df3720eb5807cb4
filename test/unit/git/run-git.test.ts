import { createServer } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GitError, runGit } from "../../../src/git/run-git.js";

const TOKEN = "ghs_secretToken0123456789";
const ENCODED = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");

describe("GitError", () => {
  it("names the subcommand and keeps the last stderr lines, with the token and its Basic form redacted", () => {
    const noise = Array.from({ length: 15 }, (_, i) => `noise ${i}`);
    const leaks = [
      `fatal: bad header Authorization: Basic ${ENCODED}`,
      `url https://x-access-token:${TOKEN}@github.com/o/r`,
    ];
    const stderr = [...noise, ...leaks].join("\n");
    const error = new GitError({ subcommand: "push", exitCode: 128, stderr, secrets: [TOKEN, ENCODED] });
    expect(error.message).toMatch(/^git push failed: noise 7\n/);
    expect(error.message).not.toContain("noise 6");
    expect(error.message).toContain("Authorization: Basic ***");
    expect(error.message).toContain("https://x-access-token:***@github.com");
    expect(error.message).not.toContain(TOKEN);
    expect(error.stderrTail).not.toContain(ENCODED);
    expect(error.exitCode).toBe(128);
  });

  it("explains a refused login and falls back to the exit code without stderr", () => {
    const stderr = "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n";
    const refused = new GitError({ subcommand: "fetch", exitCode: 128, stderr });
    expect(refused.message).toContain("The remote rejected the credentials");
    expect(new GitError({ subcommand: "apply", exitCode: 1, stderr: "" }).message).toBe(
      "git apply failed: exit code 1",
    );
  });
});

describe("runGit", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "taskbox-run-git-"));
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  });

  it("ignores the user's global config and inherited GIT_* variables, and disables hooks", async () => {
    await writeFile(join(dir, ".gitconfig"), "[user]\n\tname = Leaked Global\n");
    vi.stubEnv("HOME", dir);
    vi.stubEnv("GIT_DIR", "/nonexistent");
    await runGit(["init", "--quiet"], { cwd: dir });
    await expect(runGit(["config", "--get", "user.name"], { cwd: dir })).rejects.toMatchObject({
      name: "GitError",
      exitCode: 1,
    });
    expect((await runGit(["config", "--get", "core.hooksPath"], { cwd: dir })).stdout.toString().trim()).toBe(
      "/dev/null",
    );
  });

  it("names the subcommand after global options in its error", async () => {
    await runGit(["init", "--quiet"], { cwd: dir });
    const error = await runGit(["-c", "color.ui=never", "rev-parse", "--verify", "--quiet", "nope"], {
      cwd: dir,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(/^git rev-parse failed: /);
  });

  it("passes stdin through and returns stdout as bytes", async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    await runGit(["init", "--quiet"], { cwd: dir });
    const sha = (await runGit(["hash-object", "-w", "--stdin"], { cwd: dir, input: bytes })).stdout.toString().trim();
    expect((await runGit(["cat-file", "blob", sha], { cwd: dir })).stdout).toEqual(bytes);
  });

  it("sends the token only as a Basic Authorization header", async () => {
    const seen: { url?: string; authorization?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      res.writeHead(403).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await runGit(["ls-remote", `http://127.0.0.1:${port}/o/r.git`], { cwd: dir, token: TOKEN }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GitError);
      expect((error as GitError).message).not.toContain(TOKEN);
      expect(seen[0]).toEqual({ url: "/o/r.git/info/refs?service=git-upload-pack", authorization: `Basic ${ENCODED}` });
    } finally {
      server.close();
    }
  });
});
