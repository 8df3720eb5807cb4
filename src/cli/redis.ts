import { Redis } from "ioredis";

/** A client for one CLI command: it fails within seconds instead of retrying forever. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  redis.on("error", () => {}); // the command's own error says what went wrong
  await redis.connect();
  return redis;
}

/** Connects once and pings; the error is the socket's (ECONNREFUSED …), not ioredis's "Connection is closed.". */
export async function pingRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let socketError: Error | undefined;
  redis.on("error", (error: Error) => (socketError ??= error));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}
