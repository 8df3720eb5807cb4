import type { ProbotOctokit } from "probot";
import type { QuotedComment, QuotedReviewComment } from "../queue/task-job.js";
import { canStartTasks, getRepositoryRole } from "./permissions.js";

// Job data sits in Redis and the prompt has a budget: keep the newest comments, each cut at a length.
const MAX_COMMENTS = 20;
const MAX_REVIEW_THREADS = 30;
const MAX_REPLIES = 5;
const COMMENT_CHARS = 4_000;

export interface Repository {
  owner: string;
  repo: string;
}

/** Whether each commenter has write access, looked up once per login. */
export type TrustCheck = (login: string) => Promise<boolean>;

export function createTrustCheck(
  octokit: ProbotOctokit,
  repository: Repository,
  known: Record<string, boolean> = {},
): TrustCheck {
  const roles = new Map(Object.entries(known).map(([login, trusted]) => [login, Promise.resolve(trusted)]));
  return (login) => {
    let trusted = roles.get(login);
    if (!trusted) {
      trusted = getRepositoryRole(octokit, repository, login).then(canStartTasks);
      roles.set(login, trusted);
    }
    return trusted;
  };
}

/**
 * The human comments on an issue or pull request created after `since` (all of them when undefined), oldest first,
 * without bot comments or commands (a command already started its own task or was refused).
 */
export async function commentsSince(
  octokit: ProbotOctokit,
  target: Repository & { number: number },
  options: { since: number | undefined; command: string; trust: TrustCheck },
): Promise<QuotedComment[]> {
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.number,
    since, // GitHub filters by last update; creation is checked below
    per_page: 100,
  });
  const fresh = comments.filter(
    (comment) =>
      comment.user &&
      comment.user.type !== "Bot" &&
      (options.since === undefined || Date.parse(comment.created_at) > options.since) &&
      !(comment.body ?? "").startsWith(options.command),
  );
  return Promise.all(
    fresh.slice(-MAX_COMMENTS).map(async (comment) => ({
      author: comment.user!.login,
      trusted: await options.trust(comment.user!.login),
      body: clip(comment.body ?? ""),
      createdAt: comment.created_at,
    })),
  );
}

interface ReviewThreadsResponse {
  repository: {
    pullRequest: {
      reviewThreads: {
        nodes: Array<{
          isResolved: boolean;
          isOutdated: boolean;
          path: string;
          line: number | null;
          originalLine: number | null;
          comments: { nodes: Array<{ author: { login: string } | null; body: string; createdAt: string }> };
        }>;
      };
    } | null;
  };
}

// Review threads and their resolved state exist only in the GraphQL API.
const REVIEW_THREADS_QUERY = `
query($owner: String!, $repo: String!, $number: Int!) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100) {
        nodes {
          isResolved
          isOutdated
          path
          line
          originalLine
          comments(first: ${MAX_REPLIES + 1}) { nodes { author { login } body createdAt } }
        }
      }
    }
  }
}`;

/** The pull request's unresolved review threads: where each points, its first comment and the replies. */
export async function openReviewComments(
  octokit: ProbotOctokit,
  pull: Repository & { number: number },
  trust: TrustCheck,
): Promise<QuotedReviewComment[]> {
  const response = await octokit.graphql<ReviewThreadsResponse>(REVIEW_THREADS_QUERY, {
    owner: pull.owner,
    repo: pull.repo,
    number: pull.number,
  });
  const threads = (response.repository.pullRequest?.reviewThreads.nodes ?? []).filter((thread) => !thread.isResolved);
  const quote = async (comment: {
    author: { login: string } | null;
    body: string;
    createdAt: string;
  }): Promise<QuotedComment> => {
    const author = comment.author?.login ?? "ghost";
    return {
      author,
      trusted: comment.author ? await trust(author) : false,
      body: clip(comment.body),
      createdAt: comment.createdAt,
    };
  };
  const quoted = await Promise.all(
    threads.slice(0, MAX_REVIEW_THREADS).map(async (thread): Promise<QuotedReviewComment | undefined> => {
      const [first, ...replies] = thread.comments.nodes;
      if (!first) return undefined;
      return {
        ...(await quote(first)),
        path: thread.path,
        line: thread.line ?? thread.originalLine,
        outdated: thread.isOutdated,
        replies: await Promise.all(replies.slice(0, MAX_REPLIES).map(quote)),
      };
    }),
  );
  return quoted.filter((comment): comment is QuotedReviewComment => comment !== undefined);
}

function clip(text: string): string {
  return text.length <= COMMENT_CHARS ? text : `${text.slice(0, COMMENT_CHARS)} …`;
}
