import type { Redis } from "ioredis";
import { formatDuration } from "../config/duration.js";
import type { RateLimit } from "../config/rate-limit.js";

export type RateLimitScope = "user" | "installation";

export type RateLimitDecision =
  { allowed: true } | { allowed: false; scope: RateLimitScope; limit: RateLimit; retryAfterMs: number };

export interface TaskStart {
  taskId: string;
  installationId: number;
  login: string;
}

export interface RateLimiter {
  /**
   * Records a task start for the user and the installation unless either is at its limit; then nothing is
   * recorded. The same taskId counts once, so a redelivered webhook never uses up a second start.
   */
  tryStart(start: TaskStart): Promise<RateLimitDecision>;
}

/**
 * A sliding-window log per key (a sorted set of task ids scored by start time), checked and recorded for both
 * keys in one script so that concurrent webhooks in several web processes cannot overshoot a limit.
 * Returns {0, 0} when allowed, else {index of the key at its limit, ms until its oldest start leaves the window}.
 */
const TRY_START_SCRIPT = `
local now = tonumber(ARGV[1])
local member = ARGV[2]
for i = 1, #KEYS do
  local max = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  if max > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    if not redis.call('ZSCORE', KEYS[i], member) and redis.call('ZCARD', KEYS[i]) >= max then
      local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
      return {i, tonumber(oldest[2]) + window - now}
    end
  end
end
for i = 1, #KEYS do
  local max = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  if max > 0 then
    redis.call('ZADD', KEYS[i], 'NX', now, member)
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
return {0, 0}
`;

export function createRateLimiter(options: {
  redis: Redis;
  prefix: string;
  perUser: RateLimit | undefined;
  perInstallation: RateLimit | undefined;
  now?: () => number;
}): RateLimiter {
  const { redis, prefix, perUser, perInstallation, now = Date.now } = options;
  const scopes: Array<{ scope: RateLimitScope; limit: RateLimit | undefined; key: (start: TaskStart) => string }> = [
    { scope: "user", limit: perUser, key: (start) => `${prefix}:rate-limit:user:${start.login.toLowerCase()}` },
    {
      scope: "installation",
      limit: perInstallation,
      key: (start) => `${prefix}:rate-limit:installation:${start.installationId}`,
    },
  ];
  return {
    async tryStart(start) {
      if (!perUser && !perInstallation) return { allowed: true };
      const limitArgs = scopes.flatMap(({ limit }) => [limit?.max ?? 0, limit?.windowMs ?? 0]);
      const [index, retryAfterMs] = (await redis.eval(
        TRY_START_SCRIPT,
        scopes.length,
        ...scopes.map(({ key }) => key(start)),
        now(),
        start.taskId,
        ...limitArgs,
      )) as [number, number];
      if (index === 0) return { allowed: true };
      const { scope, limit } = scopes[index - 1]!;
      return { allowed: false, scope, limit: limit!, retryAfterMs: Math.max(0, retryAfterMs) };
    },
  };
}

/** The reply to a request over a limit: which limit, and when the next start will be allowed. */
export function renderRateLimited(decision: Extract<RateLimitDecision, { allowed: false }>, login: string): string {
  const window = formatDuration(decision.limit.windowMs);
  const retry = formatDuration(Math.max(1000, decision.retryAfterMs));
  const who =
    decision.scope === "user"
      ? `@${login}, you have started ${decision.limit.max} Taskbox tasks in the last ${window}, the most one person may start`
      : `@${login}, this installation of Taskbox has started ${decision.limit.max} tasks in the last ${window}, the most it may start`;
  return `${who}. This request was not started; comment again in ${retry} or later.`;
}
