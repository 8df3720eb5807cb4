import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runGit } from "../../../src/git/run-git.js";
import { createRedactor } from "../../../src/report/redact.js";
import { checkPatch } from "../../../src/task/check-patch.js";
import { TaskFailure } from "../../../src/task/task-failure.js";

const SECRET = "hunter2-secret-value";
const identity = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
};

describe("checkPatch", () => {
  let dir: string;
  const git = (args: string[]) => runGit(args, { cwd: dir, env: identity });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "check-patch-"));
    await git(["init", "--quiet", "--initial-branch=main"]);
    await writeFile(join(dir, "README.md"), "# hi\n");
    await writeFile(join(dir, ".gitattributes"), "*.psd filter=lfs diff=lfs merge=lfs -text\n");
    await git(["add", "-A"]);
    await git(["commit", "--quiet", "-m", "base"]);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** The patch a change to the working tree makes, as the sandbox collects it; the tree is reset afterwards. */
  async function patchOf(files: Record<string, string | Buffer>): Promise<Buffer> {
    for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
    await git(["add", "-A"]);
    const { stdout } = await git(["diff", "--cached", "--binary", "HEAD"]);
    await git(["reset", "--quiet", "--hard", "HEAD"]);
    await git(["clean", "-fdq"]);
    return stdout;
  }
  const check = async (patch: Buffer) => checkPatch({ patch, checkoutDir: dir, redactor: createRedactor([SECRET]) });

  it("lets an ordinary change through, binary files included", async () => {
    await expect(
      check(await patchOf({ "README.md": "# hello\n", "logo.bin": Buffer.from([0, 1, 2, 255]) })),
    ).resolves.toBeUndefined();
  });

  it("refuses a change that holds a secret, naming the file", async () => {
    const failure = await check(
      await patchOf({ "README.md": "# hi\n", ".npmrc": `//registry.npmjs.org/:_authToken=${SECRET}\n` }),
    ).catch((e) => e);
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure.phase).toBe("publish");
    expect(failure.message).toContain("contains the value of a secret in `.npmrc`");
  });

  it("refuses a change of binary files only", async () => {
    const failure = await check(await patchOf({ "a.out": Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]) })).catch(
      (e) => e,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure.message).toContain("consists only of binary files (`a.out`)");
  });

  it("refuses a change to a file the repository keeps in Git LFS", async () => {
    const failure = await check(await patchOf({ "art.psd": "not a pointer any more\n", "notes.txt": "ok\n" })).catch(
      (e) => e,
    );
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure.message).toContain("edits `art.psd`, which the repository stores in Git LFS");
  });
});
