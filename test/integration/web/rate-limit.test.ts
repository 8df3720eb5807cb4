import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRateLimiter } from "../../../src/web/rate-limit.js";

describe("the Redis-backed rate limiter", () => {
  let redis: Redis;
  let clock = 1_000_000;
  const now = () => clock;
  const start = (taskId: string, login = "ann", installationId = 1) => ({ taskId, login, installationId });

  beforeAll(() => {
    redis = new Redis(inject("redisUrl"));
  });
  afterAll(() => redis?.disconnect());

  let prefix = "";
  const limiter = (
    perUser?: { max: number; windowMs: number },
    perInstallation?: { max: number; windowMs: number },
  ) => {
    prefix = `rl-${randomUUID().slice(0, 8)}`;
    return createRateLimiter({ redis, prefix, perUser, perInstallation, now });
  };

  it("allows max starts per person in a sliding window, then says how long until the oldest leaves it", async () => {
    const limits = limiter({ max: 2, windowMs: 60_000 });
    clock = 1_000_000;
    expect(await limits.tryStart(start("a"))).toEqual({ allowed: true });
    clock += 10_000;
    expect(await limits.tryStart(start("b"))).toEqual({ allowed: true });
    clock += 5_000;
    expect(await limits.tryStart(start("c"))).toEqual({
      allowed: false,
      scope: "user",
      limit: { max: 2, windowMs: 60_000 },
      retryAfterMs: 45_000,
    });
    expect(await limits.tryStart(start("c", "bob"))).toEqual({ allowed: true });
    clock += 46_000; // "a" left the window
    expect(await limits.tryStart(start("c"))).toEqual({ allowed: true });
  });

  it("counts a task once, however often its webhook is delivered", async () => {
    const limits = limiter({ max: 1, windowMs: 60_000 });
    expect(await limits.tryStart(start("same"))).toEqual({ allowed: true });
    expect(await limits.tryStart(start("same"))).toEqual({ allowed: true });
    expect((await limits.tryStart(start("other"))).allowed).toBe(false);
  });

  it("limits an installation across people, and records nothing for a refused start", async () => {
    const limits = limiter({ max: 5, windowMs: 60_000 }, { max: 2, windowMs: 60_000 });
    expect((await limits.tryStart(start("1", "ann"))).allowed).toBe(true);
    expect((await limits.tryStart(start("2", "bob"))).allowed).toBe(true);
    expect(await limits.tryStart(start("3", "cid"))).toMatchObject({ allowed: false, scope: "installation" });
    expect((await limits.tryStart(start("4", "cid", 2))).allowed).toBe(true);
    // The refused start did not count against cid.
    expect(await redis.zscore(`${prefix}:rate-limit:user:cid`, "3")).toBeNull();
    expect(await redis.zscore(`${prefix}:rate-limit:user:cid`, "4")).not.toBeNull();
  });

  it("allows everything when no limit is set, without touching Redis", async () => {
    const limits = createRateLimiter({
      redis: undefined as unknown as Redis,
      prefix: "x",
      perUser: undefined,
      perInstallation: undefined,
    });
    expect(await limits.tryStart(start("a"))).toEqual({ allowed: true });
  });
});
