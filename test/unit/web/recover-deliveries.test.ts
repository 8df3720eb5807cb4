import type { Redis } from "ioredis";
import pino from "pino";
import type { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import type { Delivery } from "../../../src/github/deliveries.js";
import { recoverDeliveries } from "../../../src/web/recover-deliveries.js";

const NOW = Date.parse("2026-01-10T12:00:00Z");
const HOUR = 3_600_000;
let nextId = 1;

const delivery = (guid: string, statusCode: number, hoursAgo: number): Delivery => ({
  id: nextId++,
  guid,
  delivered_at: new Date(NOW - hoursAgo * HOUR).toISOString(),
  status_code: statusCode,
  event: "issue_comment",
  action: "created",
});

/** The deliveries API as GitHub pages it (newest first), and the redeliveries asked for. */
function fakeApp(deliveries: Delivery[], pageSize = 2) {
  const redelivered: number[] = [];
  const pagesRead: number[] = [];
  const newestFirst = [...deliveries].sort((a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at));
  const octokit = {
    rest: {
      apps: {
        listWebhookDeliveries: {},
        redeliverWebhookDelivery: async ({ delivery_id }: { delivery_id: number }) =>
          void redelivered.push(delivery_id),
      },
    },
    paginate: {
      async *iterator() {
        for (let start = 0; start < newestFirst.length; start += pageSize) {
          pagesRead.push(start / pageSize);
          yield { data: newestFirst.slice(start, start + pageSize) };
        }
      },
    },
  } as unknown as ProbotOctokit;
  return { octokit, redelivered, pagesRead };
}

/** SET NX PX and PING, as the claims need them. */
function fakeRedis(): Redis {
  const keys = new Set<string>();
  return {
    status: "ready",
    ping: async () => "PONG",
    set: async (key: string) => (keys.has(key) ? null : (keys.add(key), "OK")),
  } as unknown as Redis;
}

const recover = (octokit: ProbotOctokit, redis = fakeRedis(), windowMs = 24 * HOUR) =>
  recoverDeliveries({
    appOctokit: async () => octokit,
    redis,
    prefix: "t",
    windowMs,
    claimMs: 60_000,
    log: pino({ level: "silent" }),
    now: () => NOW,
  });

describe("recoverDeliveries", () => {
  it("redelivers the latest delivery of each webhook that got no answer or a 5xx, and nothing that succeeded", async () => {
    const refused = delivery("refused", 503, 1);
    const timedOut = delivery("timed-out", 0, 2);
    const retriedRefused = [delivery("retried", 500, 3), delivery("retried", 502, 2.5)];
    const { octokit, redelivered } = fakeApp([
      refused,
      timedOut,
      ...retriedRefused,
      delivery("fine", 200, 1),
      delivery("recovered", 503, 4),
      delivery("recovered", 200, 3.5),
      delivery("bad-signature", 400, 1),
      delivery("still-processing", 202, 1),
    ]);
    expect((await recover(octokit)).sort()).toEqual(["refused", "retried", "timed-out"]);
    expect(redelivered.sort()).toEqual([refused.id, timedOut.id, retriedRefused[1]!.id].sort());
  });

  it("ignores deliveries older than the window, and stops reading pages there", async () => {
    const { octokit, redelivered, pagesRead } = fakeApp(
      [
        delivery("new", 503, 1),
        delivery("a", 200, 2),
        delivery("old", 503, 30),
        delivery("older", 503, 40),
        delivery("oldest", 503, 50),
        delivery("x", 503, 60),
      ],
      2,
    );
    expect(await recover(octokit)).toEqual(["new"]);
    expect(redelivered).toHaveLength(1);
    expect(pagesRead).toEqual([0, 1]);
  });

  it("asks once per claim, so another web process (or the next run) does not ask again", async () => {
    const redis = fakeRedis();
    const { octokit, redelivered } = fakeApp([delivery("refused", 503, 1)]);
    await recover(octokit, redis);
    await recover(octokit, redis);
    expect(redelivered).toHaveLength(1);
  });

  it("gives up on a webhook that failed at every one of five deliveries", async () => {
    const { octokit, redelivered } = fakeApp([1, 2, 3, 4, 5].map((hours) => delivery("hopeless", 500, hours)));
    expect(await recover(octokit)).toEqual([]);
    expect(redelivered).toEqual([]);
  });

  it("asks for nothing while Redis is down: the webhook would only fail again", async () => {
    const { octokit, redelivered } = fakeApp([delivery("refused", 503, 1)]);
    const down = {
      status: "reconnecting",
      ping: async () => Promise.reject(new Error("Connection is closed.")),
      once: () => {},
    } as unknown as Redis;
    await expect(
      recoverDeliveries({
        appOctokit: async () => octokit,
        redis: down,
        prefix: "t",
        windowMs: HOUR,
        claimMs: 1,
        log: pino({ level: "silent" }),
        now: () => NOW,
      }),
    ).rejects.toThrow("Connection is closed.");
    expect(redelivered).toEqual([]);
  }, 10_000);
});
