import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import { deliveryPages, redeliverWebhook, type Delivery } from "../github/deliveries.js";
import { runPeriodically, type Periodic } from "../run-periodically.js";

/** Deliveries of one webhook (one guid), original and redeliveries, past which Taskbox stops asking for more. */
const DEFAULT_MAX_ATTEMPTS = 5;
/** At start the web process's connection may still be opening; a run then waits this long for it. */
const READY_WAIT_MS = 5_000;
const OPENING = new Set(["wait", "connecting", "connect"]);

export interface DeliveryRecoveryOptions {
  /** An Octokit authenticated as the app itself (JWT): the deliveries API is not open to installation tokens. */
  appOctokit: () => Promise<GitHubClient>;
  /** The web process's Redis: no redelivery is asked for while it is down, since the webhook would only fail again. */
  redis: Redis;
  prefix: string;
  /** How far back to look (TASKBOX_DELIVERY_RECOVERY_WINDOW_MS); GitHub redelivers at most three days back. */
  windowMs: number;
  /** How long a redelivery is left to arrive before it is asked for again. */
  claimMs: number;
  maxAttempts?: number;
  log: Logger;
  now?: () => number;
}

interface Webhook {
  latest: Delivery;
  attempts: number;
  succeeded: boolean;
}

/**
 * GitHub never redelivers a failed webhook by itself. This lists the app's recent webhook deliveries and asks
 * GitHub to redeliver each webhook whose every delivery failed for a reason a retry can fix: no answer, or a 5xx
 * (the web process answers 503 when it cannot reach its queue). A 4xx (a bad signature, an unknown route) would
 * fail again and is left alone. A redelivery keeps its delivery id (guid), so the web process still starts at most
 * one task for it; a claim in Redis keeps several web processes from asking for the same redelivery.
 * Returns the guids redelivered.
 */
export async function recoverDeliveries(options: DeliveryRecoveryOptions): Promise<string[]> {
  const { redis, log, now = Date.now } = options;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (OPENING.has(redis.status)) await Promise.race([once(redis, "ready"), sleep(READY_WAIT_MS)]);
  await redis.ping();
  const octokit = await options.appOctokit();
  const since = now() - options.windowMs;

  const webhooks = new Map<string, Webhook>();
  for await (const deliveries of deliveryPages(octokit)) {
    for (const delivery of deliveries) {
      if (Date.parse(delivery.delivered_at) < since) continue;
      const seen = webhooks.get(delivery.guid);
      const succeeded = delivery.status_code >= 200 && delivery.status_code < 400;
      if (!seen) {
        webhooks.set(delivery.guid, { latest: delivery, attempts: 1, succeeded });
        continue;
      }
      seen.attempts++;
      seen.succeeded ||= succeeded;
      if (Date.parse(delivery.delivered_at) > Date.parse(seen.latest.delivered_at)) seen.latest = delivery;
    }
    // Newest first: once a page reaches past the window, later pages hold only older deliveries.
    if (deliveries.some((delivery) => Date.parse(delivery.delivered_at) < since)) break;
  }

  const redelivered: string[] = [];
  for (const [guid, webhook] of webhooks) {
    if (webhook.succeeded || !isRetryable(webhook.latest.status_code)) continue;
    if (webhook.attempts >= maxAttempts) {
      const first = await redis.set(`${options.prefix}:delivery-given-up:${guid}`, "1", "PX", options.windowMs, "NX");
      if (first === "OK")
        log.warn(
          { guid, attempts: webhook.attempts },
          "a webhook failed at every delivery; Taskbox stopped asking for it again",
        );
      continue;
    }
    const claimed = await redis.set(
      `${options.prefix}:delivery-recovery:${guid}`,
      String(now()),
      "PX",
      options.claimMs,
      "NX",
    );
    if (claimed !== "OK") continue;
    await redeliverWebhook(octokit, webhook.latest.id);
    const { event, action, status_code: statusCode } = webhook.latest;
    log.info({ guid, event, action, statusCode }, "asked GitHub to redeliver a failed webhook");
    redelivered.push(guid);
  }
  return redelivered;
}

/** No answer (timeout, connection refused) is status code 0; 5xx is a server that may recover. */
function isRetryable(statusCode: number): boolean {
  return statusCode === 0 || statusCode >= 500;
}

/** GitHub gives up on a delivery after 10 s; a redelivery gets at least this long to show up in the list. */
const MIN_CLAIM_MS = 30_000;

/** Recovers at start, then every intervalMs. */
export function startDeliveryRecovery(
  options: Omit<DeliveryRecoveryOptions, "claimMs"> & { intervalMs: number },
): Periodic {
  const claimMs = Math.max(options.intervalMs, MIN_CLAIM_MS);
  return runPeriodically(
    "webhook delivery recovery",
    options.intervalMs,
    () => recoverDeliveries({ ...options, claimMs }).then(() => undefined),
    options.log,
  );
}
