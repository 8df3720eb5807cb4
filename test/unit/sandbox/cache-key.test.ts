import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  computeCacheKey,
  describeKeyChange,
  type CacheKeyInput,
} from "../../../src/sandbox/cache-key.js";

const BASE: CacheKeyInput = {
  repository: "octo/hello",
  imageId: "sha256:aaa",
  setupScript: "npm ci\n",
  setupInputs: {},
  maintenanceScript: undefined,
  setupInternet: true,
  env: { NODE_ENV: "test" },
  secrets: { NPM_TOKEN: "npm_secret_value" },
  packages: { node: "20" },
  caBundle: undefined,
  generation: 0,
};
const SALT = "salt-1";

describe("computeCacheKey", () => {
  it.each<[string, Partial<CacheKeyInput>, string]>([
    ["the image", { imageId: "sha256:bbb" }, "image"],
    ["the setup script", { setupScript: "npm install\n" }, "setup"],
    ["the dependency files of automatic setup", { setupInputs: { "package-lock.json": "abc" } }, "dependencyFiles"],
    ["the maintenance script", { maintenanceScript: "npm install\n" }, "maintenance"],
    ["whether setup has internet", { setupInternet: false }, "internet"],
    ["an env value", { env: { NODE_ENV: "production" } }, "env"],
    ["a secret's value", { secrets: { NPM_TOKEN: "rotated" } }, "secrets"],
    ["a package version", { packages: { node: "22" } }, "packages"],
    ["the CA bundle", { caBundle: "digest" }, "caBundle"],
    ["the reset generation", { generation: 1 }, "generation"],
    ["the repository", { repository: "octo/other" }, "repository"],
  ])("changes with %s, and only that part changes", (_what, change, part) => {
    const before = computeCacheKey(BASE, SALT);
    const after = computeCacheKey({ ...BASE, ...change }, SALT);
    expect(after.key).not.toBe(before.key);
    const changed = Object.keys(before.parts).filter(
      (name) => before.parts[name as keyof typeof before.parts] !== after.parts[name as keyof typeof after.parts],
    );
    expect(changed).toStrictEqual([part]);
  });

  it("is stable: the order of mappings and the case of the repository do not matter", () => {
    const reordered = { ...BASE, repository: "Octo/Hello", env: { B: "2", A: "1" } };
    expect(computeCacheKey(reordered, SALT)).toStrictEqual(computeCacheKey({ ...BASE, env: { A: "1", B: "2" } }, SALT));
  });

  it("never contains a secret, and depends on the salt so that guesses cannot be checked without it", () => {
    const key = computeCacheKey(BASE, SALT);
    expect(JSON.stringify(key)).not.toContain("npm_secret_value");
    expect(key.key).toMatch(/^[0-9a-f]{64}$/);
    expect(computeCacheKey(BASE, "another salt").parts.secrets).not.toBe(key.parts.secrets);
  });
});

describe("describeKeyChange", () => {
  it("names every part that differs from the cached environment", () => {
    const current = computeCacheKey(BASE, SALT).parts;
    const cached = computeCacheKey({ ...BASE, setupScript: "old", env: {} }, SALT).parts;
    expect(describeKeyChange(current, cached)).toBe("the setup script changed, `environment.env` changed");
  });

  it("says the environment was removed when nothing changed", () => {
    const parts = computeCacheKey(BASE, SALT).parts;
    expect(describeKeyChange(parts, parts)).toBe("the cached environment was removed");
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps arrays in order", () => {
    expect(canonicalJson({ b: { d: 1, c: [2, 1] }, a: null })).toBe('{"a":null,"b":{"c":[2,1],"d":1}}');
  });
});
