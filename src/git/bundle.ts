import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { runGit } from "./run-git.js";

export interface WorkspaceBundle {
  /** A git bundle of HEAD, without what `since` already holds. */
  file: string;
  /** The shallow boundary of a checkout with `environment.history: <depth>`, which the receiving side must record. */
  shallow: string[];
  remove(): Promise<void>;
}

/**
 * Bundles the commits of the checkout's HEAD that a repository at `since` lacks (all of them when since is undefined
 * or not in the checkout), to be fetched by a repository that has no remote to fetch from.
 */
export async function bundleCheckout(checkoutDir: string, since: string | undefined): Promise<WorkspaceBundle> {
  const file = join(checkoutDir, ".git", "taskbox-workspace.bundle");
  const exclude = since !== undefined && (await isAncestorCandidate(checkoutDir, since)) ? [`^${since}`] : [];
  await runGit(["bundle", "create", "--quiet", file, "HEAD", ...exclude], { cwd: checkoutDir });
  const shallow = await readFile(join(checkoutDir, ".git", "shallow"), "utf8").then(
    (text) => text.split("\n").filter((line) => line.length > 0),
    () => [],
  );
  return { file, shallow, remove: () => rm(file, { force: true }) };
}

/** `since` can be left out of the bundle only if the checkout has it and HEAD is not already inside it. */
async function isAncestorCandidate(checkoutDir: string, since: string): Promise<boolean> {
  const has = await runGit(["cat-file", "-e", `${since}^{commit}`], { cwd: checkoutDir }).then(
    () => true,
    () => false,
  );
  if (!has) return false;
  return runGit(["merge-base", "--is-ancestor", "HEAD", since], { cwd: checkoutDir }).then(
    () => false,
    () => true,
  );
}
