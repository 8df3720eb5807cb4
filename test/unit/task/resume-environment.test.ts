import { describe, expect, it } from "vitest";
import { resumeEnvironment, resumeUnlessVanished } from "../../../src/task/resume-environment.js";
import { fakeSession } from "./environment-fakes.js";

const cached = { imageId: "sha256:env", createdAt: 1, commit: "abc" };

describe("resumeEnvironment", () => {
  it("starts offline from the cached image when there is no maintenance script", async () => {
    const { session, sandbox, events } = fakeSession();
    await resumeEnvironment(session, cached, { script: undefined, network: false });
    expect(events).toStrictEqual(["start sha256:env network=false"]);
    expect(sandbox.events).toStrictEqual([]);
  });

  it("runs the maintenance script with the network setup may have, then takes the network away", async () => {
    const { session, sandbox, events } = fakeSession({ scripts: { "npm ci": async () => "installed" } });
    await resumeEnvironment(session, cached, { script: "npm ci", network: true });
    expect(events).toStrictEqual([
      "start sha256:env network=true",
      "step maintenance script",
      "run the maintenance script",
    ]);
    expect(session.report.logTail).toBe("installed");
    expect(sandbox.events).toStrictEqual(["disconnectNetwork"]);
  });

  it("fails with the maintenance script's failure", async () => {
    const { session } = fakeSession({ scripts: { bad: () => Promise.reject(new Error("exited with code 1")) } });
    await expect(resumeEnvironment(session, cached, { script: "bad", network: false })).rejects.toThrow(
      "exited with code 1",
    );
  });
});

describe("resumeUnlessVanished", () => {
  it("drops an image a sweep removed before its container was made, so the caller looks again", async () => {
    const { session } = fakeSession();
    session.start = () => Promise.reject(Object.assign(new Error("no such image"), { statusCode: 404 }));
    const discarded: string[] = [];
    const resumed = await resumeUnlessVanished(session, cached, { script: undefined, network: false }, async (id) => {
      discarded.push(id);
    });
    expect(resumed).toBeUndefined();
    expect(discarded).toStrictEqual(["sha256:env"]);
  });

  it("passes on any other error", async () => {
    const { session } = fakeSession();
    session.start = () => Promise.reject(Object.assign(new Error("conflict"), { statusCode: 409 }));
    await expect(
      resumeUnlessVanished(session, cached, { script: undefined, network: false }, () => Promise.resolve()),
    ).rejects.toThrow("conflict");
  });
});
