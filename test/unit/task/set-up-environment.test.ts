import { describe, expect, it } from "vitest";
import type { EnvironmentBuild } from "../../../src/sandbox/environment-cache.js";
import {
  CLEAR_CHECKOUT,
  noteCachingFailure,
  setUpEnvironment,
  snapshotEnvironment,
} from "../../../src/task/set-up-environment.js";
import { fakeSandbox } from "../../support/fake-sandbox.js";
import { fakeSession } from "./environment-fakes.js";

const image = { id: "sha256:base", name: "taskbox-sandbox:latest", labels: {}, size: 300 };
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
  it("sets up with the network, snapshots, copies the checkout back, releases the build, then goes offline", async () => {
    const { session, sandbox, events } = fakeSession();
    const build = fakeBuild(events);
    await setUpEnvironment(session, build, plan, {
      image,
      network: true,
      checkoutDir: "/tmp/checkout",
      snapshot: async (_sandbox, base) => void events.push(`snapshot of ${base.id}`),
    });
    expect(events).toStrictEqual([
      "start taskbox-sandbox:latest network=true",
      "step setup script",
      "run the setup script",
      "step snapshot",
      "snapshot of sha256:base",
      "step copy checkout",
      "release",
    ]);
    expect(sandbox.events).toStrictEqual(["copyIn /tmp/checkout", "disconnectNetwork"]);
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
        checkoutDir: "/c",
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
      checkoutDir: "/c",
      snapshot: () => Promise.reject(new Error("disk full")),
    });
    expect(notes).toStrictEqual(["The environment could not be cached: disk full"]);
    expect(sandbox.events).toStrictEqual(["copyIn /c", "disconnectNetwork"]);
  });

  it("releases the build when the setup script fails", async () => {
    const events: string[] = [];
    const { session } = fakeSession({ scripts: { "make setup": () => Promise.reject(new Error("exit 2")) } });
    await expect(
      setUpEnvironment(session, fakeBuild(events), plan, {
        image,
        network: false,
        checkoutDir: "/c",
        snapshot: async () => undefined,
      }),
    ).rejects.toThrow("exit 2");
    expect(events).toStrictEqual(["release"]);
  });
});

describe("snapshotEnvironment", () => {
  it("takes the checkout out, saves with the commit, TTL and base size, then says it saved", async () => {
    const sandbox = fakeSandbox();
    const events: string[] = [];
    await snapshotEnvironment(sandbox, image, {
      build: fakeBuild(events),
      ttlMs: 500,
      commit: async () => "abc",
      saved: () => void events.push("saved"),
    });
    expect(sandbox.execs.map((request) => request.command)).toStrictEqual([CLEAR_CHECKOUT]);
    expect(events).toStrictEqual([`save ${JSON.stringify({ ttlMs: 500, commit: "abc", baseSize: 300 })}`, "saved"]);
  });

  it("saves nothing when the checkout cannot be taken out", async () => {
    const sandbox = fakeSandbox(() => ({ exitCode: 1, output: Buffer.from("rm: busy\n") }));
    const events: string[] = [];
    await expect(
      snapshotEnvironment(sandbox, image, {
        build: fakeBuild(events),
        ttlMs: 1,
        commit: async () => "abc",
        saved() {},
      }),
    ).rejects.toThrow("could not take the checkout out of the snapshot (exit code 1): rm: busy");
    expect(events).toStrictEqual([]);
  });
});

describe("noteCachingFailure", () => {
  it("describes a failure that is not an Error", () => {
    const { session, notes } = fakeSession();
    noteCachingFailure(session, { code: "E" });
    expect(notes).toStrictEqual(['The environment could not be cached: {"code":"E"}']);
  });
});
