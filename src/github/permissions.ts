import type { ProbotOctokit } from "probot";

const WRITE_ROLES = new Set(["admin", "maintain", "write"]);

/** The user's role on the repository: admin, maintain, write, triage, read or none. */
export async function getRepositoryRole(
  octokit: ProbotOctokit,
  repository: { owner: string; repo: string },
  username: string,
): Promise<string> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repository, username });
    // role_name distinguishes maintain and triage, which `permission` folds into write and read.
    return data.role_name || data.permission;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return "none";
    throw error;
  }
}

export function canStartTasks(role: string): boolean {
  return WRITE_ROLES.has(role);
}
