import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { CollectDiffError, collectDiff, DiffTooLargeError } from "../../../src/sandbox/collect-diff.js";
import { createDockerSandboxFactory } from "../../../src/sandbox/docker-sandbox.js";
import type { Sandbox } from "../../../src/sandbox/types.js";
import { TEST_RUNTIME } from "../../support/test-runtime.js";

const factory = createDockerSandboxFactory({
  docker: new Docker(),
  log: pino({ level: "silent" }),
  hardening: { runtime: TEST_RUNTIME },
});
const limits = { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1_000_000_000, pidsLimit: 256 };
const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let dir: string;
let repo: string;
let baseSha: string;
let sandbox: Sandbox | undefined;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-C", cwd, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", ...args], {
    encoding: "utf8",
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "taskbox-diff-test-"));
  repo = join(dir, "repo");
  execFileSync("git", ["init", "-q", "-b", "main", repo]);
  writeFileSync(join(repo, "keep.txt"), "unchanged\n");
  writeFileSync(join(repo, "modify.txt"), "line 1\nline 2\n");
  writeFileSync(join(repo, "delete.txt"), "going away\n");
  writeFileSync(join(repo, ".gitignore"), "*.log\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  baseSha = git(repo, "rev-parse", "HEAD").trim();
  sandbox = await factory.create({
    taskId: `t-${randomUUID().slice(0, 8)}`,
    image: inject("sandboxImage"),
    limits,
    network: false,
  });
  await sandbox.copyIn(repo);
});

afterEach(async () => {
  await sandbox?.remove();
  sandbox = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function run(command: string): Promise<void> {
  const result = await sandbox!.exec({ command, timeoutMs: 30_000, maxOutputBytes: 64 * 1024 });
  expect(result.exitCode, result.output.toString("utf8")).toBe(0);
}

describe("collectDiff", () => {
  it("returns a binary patch of every change, the agent's own commits included, that applies on the base", async () => {
    await run(
      [
        "printf 'new file\\n' > new.txt",
        "printf 'line 1\\nline 2 changed\\n' > modify.txt",
        "rm delete.txt",
        "python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' > data.bin",
        "printf 'noise\\n' > debug.log",
        "printf 'committed by the agent\\n' > committed.txt",
        "git add committed.txt",
        "git -c user.name=Agent -c user.email=agent@example.invalid commit -q -m 'agent commit'",
        // A setup script may have made the login shell chatty; none of that may end up in the patch.
        "printf 'echo bashrc says hi; echo bashrc complains >&2\\n' >> ~/.bashrc",
      ].join(" && "),
    );

    const patch = await collectDiff(sandbox!, { baseSha, maxBytes: 1024 * 1024 });
    const text = patch.toString("latin1");
    expect(text).toContain("GIT binary patch");
    expect(text).not.toContain("bashrc");
    expect(text).not.toContain("debug.log");

    const clone = join(dir, "clone");
    execFileSync("git", ["clone", "-q", repo, clone]);
    git(clone, "checkout", "-q", baseSha);
    writeFileSync(join(dir, "change.patch"), patch);
    git(clone, "apply", "--index", "--binary", join(dir, "change.patch"));
    expect(readFileSync(join(clone, "new.txt"), "utf8")).toBe("new file\n");
    expect(readFileSync(join(clone, "modify.txt"), "utf8")).toBe("line 1\nline 2 changed\n");
    expect(existsSync(join(clone, "delete.txt"))).toBe(false);
    expect(readFileSync(join(clone, "data.bin")).equals(binary)).toBe(true);
    expect(readFileSync(join(clone, "committed.txt"), "utf8")).toBe("committed by the agent\n");
    expect(readFileSync(join(clone, "keep.txt"), "utf8")).toBe("unchanged\n");
    expect(git(clone, "status", "--porcelain").split("\n").filter(Boolean).sort()).toEqual([
      "A  committed.txt",
      "A  data.bin",
      "A  new.txt",
      "D  delete.txt",
      "M  modify.txt",
    ]);
  });

  it("returns an empty buffer when nothing changed", async () => {
    const patch = await collectDiff(sandbox!, { baseSha, maxBytes: 1024 });
    expect(patch.length).toBe(0);
  });

  it("throws DiffTooLargeError past maxBytes, with the patch size", async () => {
    await run("head -c 5000 /dev/urandom | base64 > big.txt");
    const error = await collectDiff(sandbox!, { baseSha, maxBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiffTooLargeError);
    expect((error as DiffTooLargeError).sizeBytes).toBeGreaterThan(6000);
    const patch = await collectDiff(sandbox!, { baseSha, maxBytes: (error as DiffTooLargeError).sizeBytes });
    expect(patch.length).toBe((error as DiffTooLargeError).sizeBytes);
  });

  it("reports git's error for an unknown base commit", async () => {
    await expect(
      collectDiff(sandbox!, { baseSha: "0123456789abcdef0123456789abcdef01234567", maxBytes: 1024 }),
    ).rejects.toThrow(CollectDiffError);
    await expect(
      collectDiff(sandbox!, { baseSha: "0123456789abcdef0123456789abcdef01234567", maxBytes: 1024 }),
    ).rejects.toThrow(/bad object|unknown revision/);
  });

  it("refuses a base that is not a commit id", async () => {
    await expect(collectDiff(sandbox!, { baseSha: "--output=/tmp/x", maxBytes: 1024 })).rejects.toThrow(
      CollectDiffError,
    );
  });
});
