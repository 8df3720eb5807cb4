import { describe, expect, it } from "vitest";
import { CACHE_KEY_PARTS, type CacheKeyPart } from "../../../src/sandbox/cache-key.js";
import { SNAPSHOT_LABELS, createEnvironmentBuild, type EnvironmentKey } from "../../../src/sandbox/cache-snapshot.js";
import { MANAGED_LABEL } from "../../../src/sandbox/types.js";
import { fakeSandbox } from "../../support/fake-sandbox.js";

const parts = Object.fromEntries(CACHE_KEY_PARTS.map((part) => [part, `${part}-1`])) as Record<CacheKeyPart, string>;
const key: EnvironmentKey = { key: "k1", parts, repository: "octo/hello", generation: 7 };

function build() {
  const used: Array<[string, number]> = [];
  let releases = 0;
  const lock = { release: async () => void releases++ };
  const store = { namespace: "ns", markUsed: async (id: string, at: number) => void used.push([id, at]) };
  return { used, releases: () => releases, build: createEnvironmentBuild(key, lock, { store, now: () => 1000 }) };
}

describe("createEnvironmentBuild", () => {
  it("snapshots under the key's tag with every fact a later lookup, miss reason or sweep reads", async () => {
    const { build: lease, used } = build();
    const sandbox = fakeSandbox();
    const saved = await lease.save(sandbox, { ttlMs: 500, commit: "abc", baseSize: 42 });
    expect(saved).toStrictEqual({ imageId: "sha256:snapshot", createdAt: 1000, commit: "abc" });
    expect(sandbox.snapshots).toStrictEqual([
      {
        tag: "taskbox-env:k1",
        labels: {
          [MANAGED_LABEL]: "true",
          [SNAPSHOT_LABELS.key]: "k1",
          [SNAPSHOT_LABELS.parts]: JSON.stringify(parts),
          [SNAPSHOT_LABELS.repository]: "octo/hello",
          [SNAPSHOT_LABELS.generation]: "7",
          [SNAPSHOT_LABELS.createdAt]: "1000",
          [SNAPSHOT_LABELS.expiresAt]: "1500",
          [SNAPSHOT_LABELS.baseSize]: "42",
          [SNAPSHOT_LABELS.commit]: "abc",
          [SNAPSHOT_LABELS.namespace]: "ns",
        },
      },
    ]);
    expect(used).toStrictEqual([["sha256:snapshot", 1000]]);
  });

  it("releases the lock once however often release is called", async () => {
    const { build: lease, releases } = build();
    await lease.release();
    await lease.release();
    expect(releases()).toBe(1);
  });
});
