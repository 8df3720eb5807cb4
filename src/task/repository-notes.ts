import type { RepoConfig } from "../config/schema.js";

/**
 * What the status comment says about repository options this Taskbox reads but does not act on yet, so a maintainer
 * who asked for them is not left to guess why the workspace has LFS pointers or empty submodule directories.
 */
export function repositoryNotes(environment: RepoConfig["environment"]): string[] {
  const notes: string[] = [];
  if (environment.lfs) {
    notes.push(
      "`environment.lfs` is set, but this Taskbox does not fetch Git LFS objects yet: the workspace has the pointer files.",
    );
  }
  if (environment.submodules) {
    notes.push(
      "`environment.submodules` is set, but this Taskbox does not check submodules out yet: their directories are empty.",
    );
  }
  return notes;
}
