import type { ProbotOctokit } from "probot";

/**
 * Takes the trigger label off an issue or pull request, so that adding it again starts a new task. A label someone
 * already removed is fine.
 */
export async function removeTriggerLabel(
  octokit: ProbotOctokit,
  target: { owner: string; repo: string; number: number; label: string },
): Promise<void> {
  try {
    await octokit.rest.issues.removeLabel({
      owner: target.owner,
      repo: target.repo,
      issue_number: target.number,
      name: target.label,
    });
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
}
