import { buildSchema, graphql, type GraphQLError } from "graphql";
import type { Reply } from "./fake-github-http.js";

/** A review thread as the GraphQL API reports it (reviewThreads of a pull request). */
export interface FakeReviewThread {
  pullNumber: number;
  path: string;
  line: number | null;
  isResolved?: boolean;
  isOutdated?: boolean;
  comments: { author: string; body: string; createdAt?: string }[];
}

/** The slice of GitHub's GraphQL schema the fake serves, with GitHub's names and nullability. */
const SCHEMA = buildSchema(`
  type Query { repository(owner: String!, name: String!): Repository }
  type Repository { pullRequest(number: Int!): PullRequest }
  type PullRequest { number: Int!, reviewThreads(first: Int, after: String): PullRequestReviewThreadConnection! }
  type PullRequestReviewThreadConnection { nodes: [PullRequestReviewThread], totalCount: Int! }
  type PullRequestReviewThread {
    isResolved: Boolean!
    isOutdated: Boolean!
    path: String!
    line: Int
    originalLine: Int
    comments(first: Int, after: String): PullRequestReviewCommentConnection!
  }
  type PullRequestReviewCommentConnection { nodes: [PullRequestReviewComment], totalCount: Int! }
  type PullRequestReviewComment { author: Actor, body: String!, createdAt: String! }
  type Actor { login: String! }
`);

interface Lookup {
  repositoryExists(owner: string, name: string): boolean;
  pullExists(owner: string, name: string, number: number): boolean;
  threads(pullNumber: number): FakeReviewThread[];
}

const connection = <T>(items: T[], first: number | undefined) => ({
  nodes: items.slice(0, first ?? items.length),
  totalCount: items.length,
});

/**
 * Parses, validates and runs a query against the schema above, as GitHub does: a query asking for a field GitHub does
 * not have gets GitHub's `errors` (with HTTP 200), a missing repository or pull request is null with a NOT_FOUND error.
 */
export async function answerGraphql(
  body: { query?: unknown; variables?: Record<string, unknown> },
  lookup: Lookup,
): Promise<Reply> {
  if (typeof body.query !== "string") {
    return {
      status: 200,
      json: { errors: [{ message: "A query attribute must be specified and must be a string." }] },
    };
  }
  const notFound: Array<{ type: string; message: string }> = [];
  const rootValue = {
    repository({ owner, name }: { owner: string; name: string }) {
      if (!lookup.repositoryExists(owner, name)) {
        notFound.push({
          type: "NOT_FOUND",
          message: `Could not resolve to a Repository with the name '${owner}/${name}'.`,
        });
        return null;
      }
      return {
        pullRequest({ number }: { number: number }) {
          if (!lookup.pullExists(owner, name, number)) {
            notFound.push({
              type: "NOT_FOUND",
              message: `Could not resolve to a PullRequest with the number of ${number}.`,
            });
            return null;
          }
          return {
            number,
            reviewThreads: ({ first }: { first?: number }) => connection(threadsOf(lookup, number), first),
          };
        },
      };
    },
  };
  const result = await graphql({ schema: SCHEMA, source: body.query, rootValue, variableValues: body.variables });
  const errors = [...(result.errors ?? []).map(githubError), ...notFound];
  if (errors.length === 0) return { status: 200, json: { data: result.data } };
  // A query that does not validate gets no data at all; one that ran keeps what it found.
  return { status: 200, json: result.data === undefined ? { errors } : { data: result.data, errors } };
}

function threadsOf(lookup: Lookup, pullNumber: number) {
  return lookup.threads(pullNumber).map((thread) => ({
    isResolved: thread.isResolved ?? false,
    isOutdated: thread.isOutdated ?? false,
    path: thread.path,
    line: thread.line,
    originalLine: thread.line,
    comments: ({ first }: { first?: number }) =>
      connection(
        thread.comments.map((comment) => ({
          author: { login: comment.author },
          body: comment.body,
          createdAt: comment.createdAt ?? new Date(0).toISOString(),
        })),
        first,
      ),
  }));
}

function githubError(error: GraphQLError) {
  return { message: error.message, locations: error.locations, path: error.path };
}
