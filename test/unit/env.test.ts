import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_NAMES, HOST_CA_BUNDLE, configDefaultsOf, modelUpstreams, parseEnv } from "../../src/env.js";

describe("reliability and abuse settings in the environment", () => {
  it("has safe defaults", () => {
    const env = parseEnv({});
    expect(env.TASKBOX_RUNTIME).toBeUndefined();
    expect(env.TASKBOX_SANDBOX_DISK).toBe(20 * 1024 ** 3);
    expect(env.TASKBOX_MAX_STALLED_COUNT).toBe(1);
    expect(env.TASKBOX_LOCK_DURATION_MS).toBe(30_000);
    expect(env.TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS).toBe(300_000);
    expect(env.TASKBOX_RATE_LIMIT_USER).toEqual({ max: 20, windowMs: 3_600_000 });
    expect(env.TASKBOX_RATE_LIMIT_INSTALLATION).toEqual({ max: 100, windowMs: 3_600_000 });
    expect(env.TASKBOX_MAX_REQUEST_CHARS).toBe(20_000);
  });

  it("reads what an operator sets, including switches to turn things off", () => {
    const env = parseEnv({
      TASKBOX_RUNTIME: "runsc",
      TASKBOX_SANDBOX_DISK: "0",
      TASKBOX_MAX_STALLED_COUNT: "0",
      TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS: "0",
      TASKBOX_RATE_LIMIT_USER: "off",
      TASKBOX_RATE_LIMIT_INSTALLATION: "500/24h",
    });
    expect(env.TASKBOX_RUNTIME).toBe("runsc");
    expect(env.TASKBOX_SANDBOX_DISK).toBe(0);
    expect(env.TASKBOX_MAX_STALLED_COUNT).toBe(0);
    expect(env.TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS).toBe(0);
    expect(env.TASKBOX_RATE_LIMIT_USER).toBeUndefined();
    expect(env.TASKBOX_RATE_LIMIT_INSTALLATION).toEqual({ max: 500, windowMs: 86_400_000 });
  });

  it("lists every bad setting at once", () => {
    const problems = () =>
      parseEnv({ TASKBOX_RUNTIME: "run sc", TASKBOX_RATE_LIMIT_USER: "lots", TASKBOX_LOCK_DURATION_MS: "0" });
    expect(problems).toThrow("TASKBOX_RUNTIME: expected the name of an OCI runtime registered with dockerd");
    expect(problems).toThrow("TASKBOX_LOCK_DURATION_MS: Too small");
    expect(problems).toThrow('TASKBOX_RATE_LIMIT_USER: invalid rate limit "lots"');
  });
});

describe("operations settings", () => {
  it("are all in the one table of docs/operations.md", () => {
    const docs = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
    expect(ENV_NAMES.length).toBeGreaterThan(30);
    expect(
      ENV_NAMES.filter((name) => !docs.includes(`| \`${name}\``) && !docs.includes(`, \`${name}\``)),
    ).toStrictEqual([]);
  });

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

describe("agent runner settings in the environment", () => {
  it("allows every runner and any model by default, and lists what the operator narrows them to", () => {
    const defaults = parseEnv({});
    expect(defaults.TASKBOX_RUNNERS).toStrictEqual(["builtin", "codex", "claude-code"]);
    expect(defaults.TASKBOX_MODELS).toBeUndefined();
    const env = parseEnv({ TASKBOX_RUNNERS: "builtin, codex", TASKBOX_MODELS: "gpt-5.1,claude-sonnet-5" });
    expect(env.TASKBOX_RUNNERS).toStrictEqual(["builtin", "codex"]);
    expect(env.TASKBOX_MODELS).toStrictEqual(["gpt-5.1", "claude-sonnet-5"]);
    expect(configDefaultsOf(env)).toMatchObject({
      runners: ["builtin", "codex"],
      models: ["gpt-5.1", "claude-sonnet-5"],
    });
  });

  it("rejects a runner Taskbox does not have", () => {
    expect(() => parseEnv({ TASKBOX_RUNNERS: "builtin,aider" })).toThrow(/TASKBOX_RUNNERS\.1/);
  });

  it("gives the gateway an upstream for each key the operator set", () => {
    expect(modelUpstreams(parseEnv({ OPENAI_API_KEY: "k" }))).toStrictEqual({
      openai: { baseUrl: "https://api.openai.com/v1", apiKey: "k" },
    });
    expect(
      modelUpstreams(parseEnv({ ANTHROPIC_API_KEY: "a", ANTHROPIC_BASE_URL: "http://127.0.0.1:9" })),
    ).toStrictEqual({
      anthropic: { baseUrl: "http://127.0.0.1:9", apiKey: "a" },
    });
  });
});
