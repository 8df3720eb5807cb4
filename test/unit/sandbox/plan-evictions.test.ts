import { describe, expect, it } from "vitest";
import { planEvictions, type SnapshotEntry } from "../../../src/sandbox/environment-cache.js";

const NOW = 1_000_000;
const entry = (id: string, fields: Partial<SnapshotEntry> = {}): SnapshotEntry => ({
  id,
  repository: "octo/hello",
  generation: 5,
  expiresAt: NOW + 1000,
  lastUsed: NOW - 100,
  sizeBytes: 100,
  tagged: true,
  ...fields,
});
const generations = new Map([["octo/hello", 5]]);

describe("planEvictions", () => {
  it("removes expired, reset and superseded entries whatever the size", () => {
    const plan = planEvictions(
      [
        entry("expired", { expiresAt: NOW }),
        entry("reset", { generation: 4 }),
        entry("superseded", { tagged: false }),
        entry("fresh"),
        entry("other repository", { repository: "octo/other", generation: 0 }),
      ],
      { now: NOW, maxBytes: 10_000, generations },
    );
    expect(plan).toStrictEqual([
      { id: "expired", reason: "expired" },
      { id: "reset", reason: "reset" },
      { id: "superseded", reason: "superseded" },
    ]);
  });

  it("removes the least recently used entries until the rest fits the cap", () => {
    const plan = planEvictions(
      [
        entry("newest", { lastUsed: NOW - 1, sizeBytes: 300 }),
        entry("oldest", { lastUsed: NOW - 300, sizeBytes: 300 }),
        entry("middle", { lastUsed: NOW - 200, sizeBytes: 300 }),
      ],
      { now: NOW, maxBytes: 400, generations },
    );
    expect(plan).toStrictEqual([
      { id: "oldest", reason: "over the size cap" },
      { id: "middle", reason: "over the size cap" },
    ]);
  });

  it("does not count entries that go anyway against the cap", () => {
    const plan = planEvictions(
      [entry("expired", { expiresAt: NOW - 1, sizeBytes: 900 }), entry("kept", { sizeBytes: 300 })],
      {
        now: NOW,
        maxBytes: 400,
        generations,
      },
    );
    expect(plan).toStrictEqual([{ id: "expired", reason: "expired" }]);
  });
});
