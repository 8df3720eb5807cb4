import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * The environment cache's bookkeeping in Redis: what image labels cannot hold because it changes after the image is
 * made (when it was last used, the repository's reset generation), the salt of the cache keys, and build locks. The
 * images themselves, with their immutable facts as labels, stay the source of truth for what exists.
 */
export interface CacheStore {
  /** Separates installations that share Redis or a Docker engine: the queue prefix. */
  readonly namespace: string;
  salt(): Promise<string>;
  generation(repository: string): Promise<number>;
  generations(repositories: string[]): Promise<Map<string, number>>;
  markUsed(imageId: string, at: number): Promise<void>;
  lastUsed(imageIds: string[]): Promise<Map<string, number>>;
  forget(imageIds: string[]): Promise<void>;
  /** A lock that keeps itself alive until released; undefined when someone else holds it. */
  tryLock(name: string, ttlMs: number): Promise<CacheLock | undefined>;
}

export interface CacheLock {
  release(): Promise<void>;
}

/** Only the commands the cache uses, so the web process can pass BullMQ's client. */
type RedisCommands = Pick<Redis, "get" | "set" | "mget" | "hset" | "hmget" | "hdel" | "eval">;

const RENEW_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

function cacheNamespace(queuePrefix: string): string {
  return `${queuePrefix}:env-cache`;
}

function generationKey(queuePrefix: string, repository: string): string {
  // GitHub names are case-insensitive; a renamed-case repository keeps its cache state.
  return `${cacheNamespace(queuePrefix)}:generation:${repository.toLowerCase()}`;
}

/**
 * Makes every cached environment of the repository unusable at once, on every worker: the generation is part of the
 * cache key. The images are removed by the workers' next sweep. The generation is the time of the reset, so the web
 * process needs nothing beyond SET (BullMQ's client offers no INCR).
 */
export async function resetCacheGeneration(
  redis: { set(key: string, value: string): Promise<unknown> },
  queuePrefix: string,
  repository: string,
  now = Date.now(),
): Promise<void> {
  await redis.set(generationKey(queuePrefix, repository), String(now));
}

export function createCacheStore(redis: RedisCommands, queuePrefix: string): CacheStore {
  const namespace = cacheNamespace(queuePrefix);
  const lastUsedKey = `${namespace}:last-used`;
  let salt: Promise<string> | undefined;

  const loadSalt = async (): Promise<string> => {
    const key = `${namespace}:salt`;
    // The first worker to get here picks the salt; every other one reads the same.
    await redis.set(key, randomBytes(32).toString("hex"), "NX");
    const value = await redis.get(key);
    if (value === null) throw new Error(`the environment cache salt ${key} vanished from Redis`);
    return value;
  };

  return {
    namespace: queuePrefix,
    salt() {
      salt ??= loadSalt().catch((error: unknown) => {
        salt = undefined;
        throw error;
      });
      return salt;
    },
    async generation(repository) {
      return Number((await redis.get(generationKey(queuePrefix, repository))) ?? 0);
    },
    async generations(repositories) {
      if (repositories.length === 0) return new Map();
      const values = await redis.mget(repositories.map((repository) => generationKey(queuePrefix, repository)));
      return new Map(repositories.map((repository, index) => [repository, Number(values[index] ?? 0)]));
    },
    async markUsed(imageId, at) {
      await redis.hset(lastUsedKey, imageId, String(at));
    },
    async lastUsed(imageIds) {
      if (imageIds.length === 0) return new Map();
      const values = await redis.hmget(lastUsedKey, ...imageIds);
      const used = new Map<string, number>();
      imageIds.forEach((id, index) => {
        const value = values[index];
        if (value !== null && value !== undefined) used.set(id, Number(value));
      });
      return used;
    },
    async forget(imageIds) {
      if (imageIds.length > 0) await redis.hdel(lastUsedKey, ...imageIds);
    },
    tryLock: (name, ttlMs) => tryRedisLock(redis, `${namespace}:lock:${name}`, ttlMs),
  };
}

/** SET NX with a random token, renewed every third of its TTL until released. */
export async function tryRedisLock(
  redis: Pick<RedisCommands, "set" | "eval">,
  key: string,
  ttlMs: number,
): Promise<CacheLock | undefined> {
  const token = randomBytes(16).toString("hex");
  if ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") return undefined;
  // If this process dies, the lock lapses and another worker takes over.
  const renew = setInterval(() => {
    redis.eval(RENEW_SCRIPT, 1, key, token, String(ttlMs)).catch(() => undefined);
  }, ttlMs / 3);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await redis.eval(RELEASE_SCRIPT, 1, key, token);
    },
  };
}
