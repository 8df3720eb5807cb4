import { describe, expect, it } from "vitest";
import { pino } from "pino";
import {
  planEvictions,
  sweepSnapshots,
  toSnapshotEntry,
  type SnapshotEntry,
} from "../../../src/sandbox/cache-evict.js";
import { SNAPSHOT_LABELS } from "../../../src/sandbox/cache-snapshot.js";
import { fakeImages } from "../../support/fake-sandbox.js";

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

describe("toSnapshotEntry", () => {
  const image = (labels: Record<string, string>, tags: string[] = ["taskbox-env:k"]) => ({
    id: "sha256:a",
    size: 1000,
    tags,
    labels,
  });

  it("counts only the snapshot's own layers, and a never used snapshot as used when it was made", () => {
    const entry = toSnapshotEntry(
      image({
        [SNAPSHOT_LABELS.repository]: "octo/hello",
        [SNAPSHOT_LABELS.generation]: "3",
        [SNAPSHOT_LABELS.createdAt]: "10",
        [SNAPSHOT_LABELS.expiresAt]: "20",
        [SNAPSHOT_LABELS.baseSize]: "400",
      }),
      undefined,
    );
    expect(entry).toStrictEqual({
      id: "sha256:a",
      repository: "octo/hello",
      generation: 3,
      expiresAt: 20,
      lastUsed: 10,
      sizeBytes: 600,
      tagged: true,
    });
  });

  it("reads an untagged snapshot as superseded and unreadable labels as zero", () => {
    const entry = toSnapshotEntry(image({ [SNAPSHOT_LABELS.baseSize]: "5000" }, ["<none>:<none>"]), 7);
    expect(entry).toMatchObject({ tagged: false, expiresAt: 0, generation: 0, sizeBytes: 0, lastUsed: 7 });
  });
});

describe("sweepSnapshots", () => {
  it("removes what the plan evicts from this namespace only, and keeps images a container uses", async () => {
    const snapshot = (id: string, namespace: string, expiresAt: number) => ({
      id,
      size: 10,
      tags: [`taskbox-env:${id}`],
      labels: {
        [SNAPSHOT_LABELS.key]: id,
        [SNAPSHOT_LABELS.namespace]: namespace,
        [SNAPSHOT_LABELS.repository]: "octo/hello",
        [SNAPSHOT_LABELS.expiresAt]: String(expiresAt),
      },
    });
    const images = fakeImages([
      snapshot("expired", "ns", NOW - 1),
      snapshot("busy", "ns", NOW - 1),
      snapshot("fresh", "ns", NOW + 1000),
      snapshot("foreign", "other", NOW - 1),
    ]);
    images.inUse.add("busy");
    const forgotten: string[] = [];
    const removed = await sweepSnapshots({
      images,
      maxBytes: 1000,
      now: () => NOW,
      log: pino({ level: "silent" }),
      store: {
        namespace: "ns",
        generations: async () => new Map(),
        lastUsed: async () => new Map(),
        forget: async (ids) => void forgotten.push(...ids),
      },
    });
    expect(removed).toStrictEqual(["expired"]);
    expect([...images.images.keys()].sort()).toStrictEqual(["busy", "foreign", "fresh"]);
    expect(forgotten).toStrictEqual(["expired"]);
  });
});
