import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRedactor } from "../../../src/report/redact.js";
import { createTranscriptStore, FIELD_MAX_CHARS, TRANSCRIPT_TTL_S } from "../../../src/report/transcript-store.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject("redisUrl"));
});
afterAll(() => redis.disconnect());

const log = pino({ level: "silent" });
const store = (maxBytes?: number) =>
  createTranscriptStore({ redis, prefix: `test-${randomUUID().slice(0, 8)}`, log, maxBytes });

describe("the transcript store", () => {
  it("keeps events in the order they were appended, redacted, for as long as task records live", async () => {
    const transcripts = store();
    const redactor = createRedactor([]);
    const writer = transcripts.writer("t1", (text) => redactor.redact(text));
    writer.append({ type: "turn", turn: 1 });
    redactor.add("late-secret-value"); // a token minted while the task runs is hidden from then on
    writer.append({
      type: "command",
      turn: 1,
      command: "echo late-secret-value",
      output: "late-secret-value\n",
      exitCode: 0,
    });
    await writer.flush();
    const entries = await transcripts.read("t1");
    expect(entries.map((entry) => entry.event.type)).toEqual(["turn", "command"]);
    expect(JSON.stringify(entries)).not.toContain("late-secret-value");
    const [key] = await redis.keys("*:transcript:t1");
    const ttl = await redis.ttl(key!);
    expect(ttl).toBeGreaterThan(TRANSCRIPT_TTL_S - 60);
    expect(ttl).toBeLessThanOrEqual(TRANSCRIPT_TTL_S);
  });

  it("stops at its size cap with one visible truncated marker, and still keeps the result", async () => {
    const transcripts = store(4_000);
    const writer = transcripts.writer("t2", (text) => text);
    for (let i = 0; i < 20; i++) writer.append({ type: "output", source: "setup script", text: "x".repeat(500) });
    writer.append({ type: "result", state: "succeeded" });
    await writer.flush();
    const types = (await transcripts.read("t2")).map((entry) => entry.event.type);
    expect(types.filter((type) => type === "truncated")).toHaveLength(1);
    expect(types.indexOf("truncated")).toBeGreaterThan(0);
    expect(types.at(-2)).toBe("truncated");
    expect(types.at(-1)).toBe("result");
  });

  it("cuts one long field in the middle, keeping its start and end", async () => {
    const transcripts = store();
    const writer = transcripts.writer("t3", (text) => text);
    writer.append({ type: "output", source: "setup script", text: `START${"y".repeat(FIELD_MAX_CHARS * 2)}END` });
    await writer.flush();
    const [entry] = await transcripts.read("t3");
    const text = entry?.event.type === "output" ? entry.event.text : "";
    expect(text.length).toBeLessThan(FIELD_MAX_CHARS + 100);
    expect(text.startsWith("START")).toBe(true);
    expect(text.endsWith("END")).toBe(true);
    expect(text).toContain("characters omitted");
  });

  it("hands a follower the events after the one it saw last", async () => {
    const transcripts = store();
    const writer = transcripts.writer("t4", (text) => text);
    writer.append({ type: "turn", turn: 1 });
    await writer.flush();
    const [first] = await transcripts.read("t4");
    const follower = redis.duplicate();
    try {
      const waiting = transcripts.follow(follower, "t4", first!.id, 10_000);
      writer.append({ type: "turn", turn: 2 });
      const next = await waiting;
      expect(next.map((entry) => entry.event)).toEqual([{ type: "turn", turn: 2 }]);
      expect(await transcripts.read("t4", first!.id)).toHaveLength(1);
    } finally {
      follower.disconnect();
    }
  });
});
