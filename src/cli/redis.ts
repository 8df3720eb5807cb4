import { Redis, type RedisOptions } from "ioredis";

/** Connects once, without retrying; the error is the socket's (ECONNREFUSED …), not ioredis's "Connection is closed.". */
async function connectOnce(url: string, options: RedisOptions): Promise<Redis> {
  const redis = new Redis(url, { ...options, lazyConnect: true, retryStrategy: () => null });
  let socketError: Error | undefined;
  redis.on("error", (error: Error) => (socketError ??= error));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw socketError ?? error;
  }
}

/** A client for one CLI command: it fails within seconds, saying where it looked, instead of retrying forever. */
export async function connectRedis(url: string): Promise<Redis> {
  try {
    return await connectOnce(url, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  } catch (error) {
    throw new Error(`Redis is not reachable at ${url} (${(error as Error).message}); npx taskbox doctor says more`, {
      cause: error,
    });
  }
}

export async function pingRedis(url: string): Promise<void> {
  const redis = await connectOnce(url, { maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  try {
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}
