import { ProbotOctokit } from "probot";

/** Retries of one request after GitHub's secondary rate limit, each after the wait GitHub names (retry-after). */
const SECONDARY_LIMIT_RETRIES = 2;

interface ThrottledRequest {
  method: string;
  url: string;
  request: { retryCount: number };
}

/**
 * Probot's Octokit as production uses it: 5xx answers and network errors are retried (plugin-retry) and the primary
 * rate limit is waited out (plugin-throttling). One change: Probot gives up at once on a secondary rate limit, which
 * GitHub answers when a client creates content quickly (status comments, pull requests), and asks to be retried after
 * retry-after; Taskbox waits and retries too.
 */
export const TaskboxOctokit = ProbotOctokit.defaults((options: { throttle?: Record<string, unknown> }) => ({
  ...options,
  throttle: {
    ...options.throttle,
    onSecondaryRateLimit: (
      retryAfter: number,
      request: ThrottledRequest,
      octokit: { log: { warn(message: string): void } },
    ) => {
      const retry = request.request.retryCount < SECONDARY_LIMIT_RETRIES;
      octokit.log.warn(
        `secondary rate limit on ${request.method} ${request.url}; ${retry ? `retrying in ${retryAfter} s` : "giving up"}`,
      );
      return retry;
    },
  },
}));
