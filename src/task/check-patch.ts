import { runGit } from "../git/run-git.js";
import type { Redactor } from "../report/redact.js";
import { TaskFailure } from "./task-failure.js";

const LISTED_FILES = 10;

interface PatchFile {
  path: string;
  binary: boolean;
}

/**
 * Refuses, with a message the maintainer can act on, a change that would make a broken or harmful pull request:
 * one that contains the value of a secret (or the token), one made only of binary files nobody can review, and one
 * that edits files the repository keeps in Git LFS (the sandbox only ever saw their pointer files).
 */
export async function checkPatch(options: { patch: Buffer; checkoutDir: string; redactor: Redactor }): Promise<void> {
  const { patch, checkoutDir, redactor } = options;
  const leaking = filesContainingSecrets(patch, redactor);
  if (leaking.length > 0) {
    throw new TaskFailure(
      "publish",
      `the change contains the value of a secret in ${listFiles(leaking)}, so Taskbox pushed nothing. Files should ` +
        "name secrets, not hold them: npm and pip expand `${NAME}` in `.npmrc` and `pip.conf` from the environment.",
    );
  }
  const files = await patchFiles(patch, checkoutDir);
  if (files.length > 0 && files.every((file) => file.binary)) {
    throw new TaskFailure(
      "publish",
      `the change consists only of binary files (${listFiles(files.map((file) => file.path))}), which cannot be reviewed in ` +
        "a pull request, so Taskbox opened none. Ask for the source change that produces them instead.",
    );
  }
  const lfs = await lfsFiles(
    files.map((file) => file.path),
    checkoutDir,
  );
  if (lfs.length > 0) {
    throw new TaskFailure(
      "publish",
      `the change edits ${listFiles(lfs)}, which the repository stores in Git LFS. Taskbox checks out LFS pointer files ` +
        "only, so it cannot publish changes to them; ask for a change that leaves those files alone.",
    );
  }
}

/** The files (from each `diff --git` header) whose part of the patch holds a value the redactor hides. */
function filesContainingSecrets(patch: Buffer, redactor: Redactor): string[] {
  const text = patch.toString("utf8");
  if (redactor.redact(text) === text) return [];
  return text
    .split(/^(?=diff --git )/m)
    .filter((section) => redactor.redact(section) !== section)
    .map((section) => /^diff --git "?a\/.*?"? "?b\/(.*?)"?$/m.exec(section)?.[1] ?? "an unnamed file");
}

/** Paths and binary-ness as git itself reads the patch (`apply --numstat` changes nothing). */
async function patchFiles(patch: Buffer, checkoutDir: string): Promise<PatchFile[]> {
  const { stdout } = await runGit(["apply", "--numstat", "-z", "--binary", "-"], { cwd: checkoutDir, input: patch });
  const fields = stdout.toString("utf8").split("\0");
  const files: PatchFile[] = [];
  for (let index = 0; index < fields.length; index++) {
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(fields[index]!);
    if (!match) continue;
    const binary = match[1] === "-" && match[2] === "-";
    // A rename is written with an empty path, then the old and the new path as fields of their own.
    if (match[3] === "") {
      files.push({ path: fields[index + 2] ?? "", binary });
      index += 2;
    } else {
      files.push({ path: match[3]!, binary });
    }
  }
  return files;
}

/** The paths the checkout's .gitattributes hand to the LFS filter. */
async function lfsFiles(paths: string[], checkoutDir: string): Promise<string[]> {
  if (paths.length === 0) return [];
  const input = Buffer.from(paths.map((path) => `${path}\0`).join(""), "utf8");
  const { stdout } = await runGit(["check-attr", "-z", "--stdin", "filter"], { cwd: checkoutDir, input });
  const fields = stdout.toString("utf8").split("\0");
  const lfs: string[] = [];
  for (let index = 0; index + 2 < fields.length; index += 3) {
    if (fields[index + 2] === "lfs") lfs.push(fields[index]!);
  }
  return lfs;
}

function listFiles(paths: string[]): string {
  const shown = paths.slice(0, LISTED_FILES).map((path) => `\`${path.replace(/`/g, "")}\``);
  const more = paths.length > LISTED_FILES ? ` and ${paths.length - LISTED_FILES} more` : "";
  return `${shown.join(", ")}${more}`;
}
