import type { GitHubClient } from "./client.js";

/** What GitHub reports for a user on a repository, from "admin" down to "none". */
export type RepositoryPermission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface AppClients {
  /** The app itself (JWT), to find the repository's installation. */
  app(): Promise<GitHubClient>;
  installation(installationId: number): Promise<GitHubClient>;
}

/**
 * The user's permission on a repository, asked through the app's installation on it; "none" when the app is not
 * installed there or GitHub does not know the user.
 */
export async function repositoryPermission(
  clients: AppClients,
  repository: string,
  login: string,
): Promise<RepositoryPermission> {
  const [owner, repo] = repository.split("/") as [string, string];
  const app = await clients.app();
  const installation = await app.rest.apps.getRepoInstallation({ owner, repo }).catch(notFoundAs(undefined));
  if (!installation) return "none";
  const octokit = await clients.installation(installation.data.id);
  const level = await octokit.rest.repos
    .getCollaboratorPermissionLevel({ owner, repo, username: login })
    .catch(notFoundAs(undefined));
  if (!level) return "none";
  const role = level.data.role_name as RepositoryPermission | undefined;
  return role && ["admin", "maintain", "write", "triage", "read"].includes(role)
    ? role
    : (level.data.permission as RepositoryPermission);
}

function notFoundAs<T>(value: T): (error: unknown) => T {
  return (error) => {
    if ((error as { status?: number }).status === 404) return value;
    throw error;
  };
}
