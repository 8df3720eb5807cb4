import { describe, expect, it } from "vitest";
import { CACHE_KEY_PARTS, type CacheKeyPart } from "../../../src/sandbox/cache-key.js";
import { findFresh, missReason, removeSnapshot } from "../../../src/sandbox/cache-lookup.js";
import { SNAPSHOT_LABELS, type EnvironmentKey } from "../../../src/sandbox/cache-snapshot.js";
import { fakeImages } from "../../support/fake-sandbox.js";

const NOW = 1_000_000;
const parts = Object.fromEntries(CACHE_KEY_PARTS.map((part) => [part, `${part}-1`])) as Record<CacheKeyPart, string>;
const key: EnvironmentKey = { key: "k1", parts, repository: "octo/hello", generation: 0 };

function snapshot(id: string, labels: Record<string, string> = {}) {
  return {
    id,
    size: 100,
    tags: [`taskbox-env:${key.key}`],
    labels: {
      [SNAPSHOT_LABELS.key]: key.key,
      [SNAPSHOT_LABELS.namespace]: "ns",
      [SNAPSHOT_LABELS.repository]: key.repository,
      [SNAPSHOT_LABELS.parts]: JSON.stringify(parts),
      [SNAPSHOT_LABELS.createdAt]: String(NOW - 1000),
      [SNAPSHOT_LABELS.expiresAt]: String(NOW + 1000),
      [SNAPSHOT_LABELS.commit]: "abc123",
      ...labels,
    },
  };
}

function deps(images = fakeImages()) {
  const forgotten: string[] = [];
  return {
    images,
    forgotten,
    now: () => NOW,
    store: { namespace: "ns", forget: async (ids: string[]) => void forgotten.push(...ids) },
  };
}

describe("findFresh", () => {
  it("finds nothing when the key has no snapshot", async () => {
    expect(await findFresh(deps(), key, 10_000)).toStrictEqual({});
  });

  it("returns a fresh snapshot with when it was made and the commit setup ran on", async () => {
    const lookup = deps(fakeImages([snapshot("sha256:a")]));
    expect(await findFresh(lookup, key, 10_000)).toStrictEqual({
      environment: { imageId: "sha256:a", createdAt: NOW - 1000, commit: "abc123" },
    });
    expect(lookup.images.removed).toStrictEqual([]);
  });

  it("ignores an image under the tag whose key label differs", async () => {
    expect(
      await findFresh(deps(fakeImages([snapshot("sha256:a", { [SNAPSHOT_LABELS.key]: "other" })])), key, 10_000),
    ).toStrictEqual({});
  });

  it("treats a snapshot as expired under a TTL shortened since it was made, and removes it", async () => {
    const lookup = deps(fakeImages([snapshot("sha256:a")]));
    expect(await findFresh(lookup, key, 1000)).toStrictEqual({ expired: true });
    expect(lookup.images.removed).toStrictEqual(["sha256:a"]);
    expect(lookup.forgotten).toStrictEqual(["sha256:a"]);
  });

  it("treats a snapshot past its own expiry as expired whatever the TTL now", async () => {
    const lookup = deps(fakeImages([snapshot("sha256:a", { [SNAPSHOT_LABELS.expiresAt]: String(NOW) })]));
    expect(await findFresh(lookup, key, 60_000)).toStrictEqual({ expired: true });
  });
});

describe("removeSnapshot", () => {
  it("keeps the bookkeeping of an image a container still uses", async () => {
    const lookup = deps(fakeImages([snapshot("sha256:a")]));
    lookup.images.inUse.add("sha256:a");
    expect(await removeSnapshot(lookup, "sha256:a")).toBe(false);
    expect(lookup.forgotten).toStrictEqual([]);
  });
});

describe("missReason", () => {
  it("says there is no cached environment yet for a repository without one", async () => {
    expect(await missReason(deps(), key)).toBe("no cached environment yet");
  });

  it("names what changed against the closest snapshot, the newest on a tie", async () => {
    const changed = (...names: CacheKeyPart[]) =>
      JSON.stringify({ ...parts, ...Object.fromEntries(names.map((name) => [name, "other"])) });
    const images = fakeImages([
      snapshot("far", { [SNAPSHOT_LABELS.parts]: changed("setup", "env") }),
      snapshot("old", { [SNAPSHOT_LABELS.parts]: changed("secrets"), [SNAPSHOT_LABELS.createdAt]: "1" }),
      snapshot("new", { [SNAPSHOT_LABELS.parts]: changed("packages"), [SNAPSHOT_LABELS.createdAt]: "2" }),
      snapshot("elsewhere", { [SNAPSHOT_LABELS.namespace]: "other-ns", [SNAPSHOT_LABELS.parts]: "{}" }),
    ]);
    expect(await missReason(deps(images), key)).toBe("`environment.packages` changed");
  });

  it("reads an unreadable record of parts as everything changed", async () => {
    const reason = await missReason(deps(fakeImages([snapshot("a", { [SNAPSHOT_LABELS.parts]: "{" })])), key);
    expect(reason).toContain("the setup script changed");
    expect(reason).toContain("the secrets changed");
  });
});
