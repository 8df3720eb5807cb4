import type { ProbotOctokit } from "probot";
import type { CommitAuthor } from "../git/publish.js";

export type BotAuthorLookup = (octokit: ProbotOctokit) => Promise<CommitAuthor>;

/**
 * The app's bot user, as GitHub shows it on commits: "<slug>[bot]" with the noreply address that links the commit to
 * the bot account. It takes an installation client: octokit authenticates GET /app with the app's JWT by itself, while
 * GET /users needs an installation token. Looked up once per process; it does not change while the app runs.
 */
export function createBotAuthorLookup(): BotAuthorLookup {
  let author: Promise<CommitAuthor> | undefined;
  const lookup = async (octokit: ProbotOctokit): Promise<CommitAuthor> => {
    const { data: app } = await octokit.rest.apps.getAuthenticated();
    if (!app) throw new Error("GET /app returned no app");
    const login = `${app.slug}[bot]`;
    const { data: user } = await octokit.rest.users.getByUsername({ username: login });
    return { name: login, email: `${user.id}+${login}@users.noreply.github.com` };
  };
  return (octokit) => {
    author ??= lookup(octokit).catch((error: unknown) => {
      author = undefined; // a failed lookup is retried by the next task
      throw error;
    });
    return author;
  };
}
