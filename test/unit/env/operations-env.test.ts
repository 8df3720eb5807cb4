import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOST_CA_BUNDLE, parseEnv } from "../../../src/env.js";

describe("operations settings", () => {
  it("trusts the host's CA bundle by default, so TLS-intercepting networks need no setting", () => {
    expect(existsSync(HOST_CA_BUNDLE)).toBe(true);
    expect(parseEnv({}).TASKBOX_CA_BUNDLE).toBe(HOST_CA_BUNDLE);
  });

  it("trusts no extra CA with TASKBOX_CA_BUNDLE=none, and refuses a bundle that does not exist", () => {
    expect(parseEnv({ TASKBOX_CA_BUNDLE: "none" }).TASKBOX_CA_BUNDLE).toBeUndefined();
    expect(() => parseEnv({ TASKBOX_CA_BUNDLE: "/nonexistent/ca.pem" })).toThrow(
      "TASKBOX_CA_BUNDLE: file does not exist (`none` trusts no extra CA)",
    );
  });

  it("reads TASKBOX_SHUTDOWN_TIMEOUT as a duration, 30 minutes by default", () => {
    expect(parseEnv({}).TASKBOX_SHUTDOWN_TIMEOUT).toBe(30 * 60_000);
    expect(parseEnv({ TASKBOX_SHUTDOWN_TIMEOUT: "90s" }).TASKBOX_SHUTDOWN_TIMEOUT).toBe(90_000);
    expect(() => parseEnv({ TASKBOX_SHUTDOWN_TIMEOUT: "soon" })).toThrow("TASKBOX_SHUTDOWN_TIMEOUT: invalid duration");
  });

  it("serves a worker's health on TASKBOX_WORKER_PORT, 3001 by default", () => {
    expect(parseEnv({}).TASKBOX_WORKER_PORT).toBe(3001);
    expect(parseEnv({ TASKBOX_WORKER_PORT: "0" }).TASKBOX_WORKER_PORT).toBe(0);
  });
});
