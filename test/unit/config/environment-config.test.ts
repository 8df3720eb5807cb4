import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../../src/config/load-repo-config.js";

const DEFAULTS = { defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" };

function environmentOf(raw: unknown) {
  const result = parseRepoConfig(raw, DEFAULTS);
  if (!result.ok) throw new Error(result.error);
  return result.config.environment;
}

function errorOf(raw: unknown): string {
  const result = parseRepoConfig(raw, DEFAULTS);
  if (result.ok) throw new Error("expected an error");
  return result.error;
}

describe("environment config: maintenance, packages and cache", () => {
  it("defaults to no maintenance script, no package versions and a 12 hour cache", () => {
    expect(environmentOf({})).toMatchObject({ maintenance: undefined, packages: {}, cache: { ttlMs: 12 * 3_600_000 } });
  });

  it("reads a maintenance script, versions written as numbers or text, and the cache ttl", () => {
    const environment = environmentOf({
      environment: { maintenance: "npm install\n", packages: { node: 22, python: "3.12" }, cache: { ttl: "30m" } },
    });
    expect(environment).toMatchObject({
      maintenance: "npm install\n",
      packages: { node: "22", python: "3.12" },
      cache: { ttlMs: 30 * 60_000 },
    });
    expect(environmentOf({ environment: { maintenance: "  \n" } }).maintenance).toBeUndefined();
  });

  it("gives the agent the full history unless a depth is asked for; LFS and submodules are off by default", () => {
    expect(environmentOf({})).toMatchObject({ history: "full", lfs: false, submodules: false });
    expect(environmentOf({ environment: { history: 50, lfs: true, submodules: true } })).toMatchObject({
      history: { depth: 50 },
      lfs: true,
      submodules: true,
    });
  });

  it.each([
    [{ environment: { history: 0 } }, "`environment.history`: expected `full` or a number of commits such as `50`"],
    [{ environment: { history: "all" } }, "`environment.history`: expected `full` or a number of commits"],
    [{ environment: { lfs: "yes" } }, "`environment.lfs`: expected true or false"],
    [{ environment: { packages: ["node"] } }, "`environment.packages`: expected a mapping of package: version"],
    [{ environment: { packages: { Node: "20" } } }, '`environment.packages.Node`: `"Node"` is not a package name'],
    [{ environment: { packages: { node: "20 || 22" } } }, "`environment.packages.node`: expected a version such as"],
    [{ environment: { packages: { node: true } } }, "`environment.packages.node`: expected a version such as"],
    [{ environment: { cache: { ttl: 0 } } }, "`environment.cache.ttl`: expected a duration longer than zero"],
    [{ environment: { cache: { size: 3 } } }, "`environment.cache`: unknown key `size`"],
    [{ environment: { maintenance: ["npm ci"] } }, "`environment.maintenance`: expected a shell script, got a list"],
  ])("reports %j", (raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });
});
