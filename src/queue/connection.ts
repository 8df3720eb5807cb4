import { Redis } from "ioredis";

/**
 * Producers (the web process) fail fast so a webhook can be answered with an error instead of hanging;
 * workers block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest: null for them).
 */
export function createRedisConnection(url: string, role: "producer" | "worker"): Redis {
  if (role === "producer") {
    return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectionName: "taskbox-web" });
  }
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: "taskbox-worker" });
}
