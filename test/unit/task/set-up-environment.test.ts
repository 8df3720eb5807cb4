import { describe, expect, it } from "vitest";
import type { EnvironmentBuild } from "../../../src/sandbox/environment-cache.js";
import { noteCachingFailure, setUpEnvironment, snapshotEnvironment } from "../../../src/task/set-up-environment.js";
import { fakeSandbox } from "../../support/fake-sandbox.js";
import { fakeSession } from "./environment-fakes.js";

const image = {
  id: "sha256:base",
  name: "taskbox-sandbox:latest",
  labels: {},
  size: 300,
  tags: ["taskbox-sandbox:latest"],
};
const plan = { script: "make setup", inputs: {}, automatic: false };

function fakeBuild(events: string[]): EnvironmentBuild {
  return {
    save: async (_sandbox, facts) => {
      events.push(`save ${JSON.stringify(facts)}`);
      return { imageId: "sha256:env", createdAt: 1, commit: facts.commit };
    },
    release: async () => void events.push("release"),
  };
}

describe("setUpEnvironment", () => {
  it("sets up with the network, snapshots with the repository in place, releases the build, then goes offline", async () => {
    const { session, sandbox, events } = fakeSession();
    const build = fakeBuild(events);
    await setUpEnvironment(session, build, plan, {
      image,
      network: true,
      snapshot: async (_sandbox, base) => void events.push(`snapshot of ${base.id}`),
    });
    expect(events).toStrictEqual([
      "start taskbox-sandbox:latest network=true",
      "step setup script",
      "run the setup script",
      "step snapshot",
      "snapshot of sha256:base",
      "release",
    ]);
    expect(sandbox.events).toStrictEqual(["disconnectNetwork"]);
    expect(session.report.logTail).toBe("ok");
  });

  it("names automatic setup as such", async () => {
    const { session, events } = fakeSession();
    await setUpEnvironment(
      session,
      fakeBuild([]),
      { ...plan, automatic: true },
      {
        image,
        network: false,
        snapshot: async () => undefined,
      },
    );
    expect(events).toContain("run the automatic setup");
  });

  it("goes on with a note when only the caching fails", async () => {
    const { session, sandbox, notes } = fakeSession();
    await setUpEnvironment(session, fakeBuild([]), plan, {
      image,
      network: false,
      snapshot: () => Promise.reject(new Error("disk full")),
    });
    expect(notes).toStrictEqual(["The environment could not be cached: disk full"]);
    expect(sandbox.events).toStrictEqual(["disconnectNetwork"]);
  });

  it("releases the build when the setup script fails", async () => {
    const events: string[] = [];
    const { session } = fakeSession({ scripts: { "make setup": () => Promise.reject(new Error("exit 2")) } });
    await expect(
      setUpEnvironment(session, fakeBuild(events), plan, {
        image,
        network: false,
        snapshot: async () => undefined,
      }),
    ).rejects.toThrow("exit 2");
    expect(events).toStrictEqual(["release"]);
  });
});

describe("snapshotEnvironment", () => {
  it("saves the sandbox as it is, with the commit, TTL and base size, then says it saved", async () => {
    const sandbox = fakeSandbox();
    const events: string[] = [];
    await snapshotEnvironment(sandbox, image, {
      build: fakeBuild(events),
      ttlMs: 500,
      commit: async () => "abc",
      saved: () => void events.push("saved"),
    });
    expect(sandbox.execs).toStrictEqual([]);
    expect(events).toStrictEqual([`save ${JSON.stringify({ ttlMs: 500, commit: "abc", baseSize: 300 })}`, "saved"]);
  });
});

describe("noteCachingFailure", () => {
  it("describes a failure that is not an Error", () => {
    const { session, notes } = fakeSession();
    noteCachingFailure(session, { code: "E" });
    expect(notes).toStrictEqual(['The environment could not be cached: {"code":"E"}']);
  });
});
