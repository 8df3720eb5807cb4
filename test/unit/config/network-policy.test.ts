import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../../src/config/load-repo-config.js";
import { INTERNET_PRESETS } from "../../../src/config/internet-presets.js";
import type { RepoConfig } from "../../../src/config/schema.js";
import { isHostAllowed, isMethodAllowed } from "../../../src/sandbox/egress-proxy-server.mjs";
import { compileEgressPolicy, parseAllowEntry } from "../../../src/config/network-policy.js";
import { renderDeniedNote } from "../../../src/task/agent-network.js";

const DEFAULTS = { defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" };

function internetOf(internet: unknown): RepoConfig["internet"] {
  const result = parseRepoConfig({ internet }, DEFAULTS);
  if (!result.ok) throw new Error(result.error);
  return result.config.internet;
}

function errorOf(internet: unknown): string {
  const result = parseRepoConfig({ internet }, DEFAULTS);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.config.internet)}`);
  return result.error;
}

describe("the internet config section", () => {
  it("defaults to setup on, agent off, nothing allowed, GET/HEAD/OPTIONS", () => {
    expect(internetOf(undefined)).toStrictEqual({
      setup: "on",
      agent: "off",
      allow: [],
      methods: ["GET", "HEAD", "OPTIONS"],
    });
    expect(internetOf(null)).toStrictEqual(internetOf({}));
  });

  it("reads hosts, wildcards and presets in any case, once each, and methods in upper case", () => {
    const internet = internetOf({
      setup: "off",
      agent: "limited",
      allow: ["PyPI.org", "*.npmjs.org", "common-dependencies", "pypi.org.", " files.pythonhosted.org "],
      methods: ["get", "POST", "GET"],
    });
    expect(internet).toStrictEqual({
      setup: "off",
      agent: "limited",
      allow: ["pypi.org", "*.npmjs.org", "common-dependencies", "files.pythonhosted.org"],
      methods: ["GET", "POST"],
    });
  });

  it("takes YAML 1.1 booleans for on and off", () => {
    expect(internetOf({ setup: false, agent: false })).toMatchObject({ setup: "off", agent: "off" });
    expect(internetOf({ setup: true })).toMatchObject({ setup: "on" });
  });

  it.each([
    [{ agent: "sometimes" }, '`internet.agent`: expected `off`, `limited` or `unrestricted`, got `"sometimes"`'],
    [{ setup: "maybe" }, '`internet.setup`: expected `on` or `off`, got `"maybe"`'],
    [{ allow: ["common-deps"] }, "`internet.allow[0]`: unknown preset `common-deps` (presets: `common-dependencies`)"],
    [
      { allow: ["https://pypi.org/simple"] },
      "`internet.allow[0]`: `https://pypi.org/simple` is a URL; write its host alone, such as `pypi.org`",
    ],
    [{ allow: ["*"] }, "`internet.allow[0]`: `*` would allow every host; use `internet.agent: unrestricted` for that"],
    [{ allow: ["*.org"] }, "`internet.allow[0]`: `*.org` would allow a whole top-level domain"],
    [{ allow: ["pypi.*"] }, "`internet.allow[0]`: expected a host such as `pypi.org`"],
    [{ allow: ["pypi.org:443"] }, "`internet.allow[0]`: expected a host such as `pypi.org`"],
    [{ allow: "pypi.org" }, "`internet.allow`: expected a list of entries"],
    [
      { methods: ["FETCH"] },
      '`internet.methods[0]`: expected one of `GET`, `HEAD`, `OPTIONS`, `POST`, `PUT`, `PATCH`, `DELETE`, got `"FETCH"`',
    ],
    [{ agnet: "limited" }, "`internet`: unknown key `agnet` (did you mean `agent`?)"],
  ])("rejects %j", (internet, message) => {
    expect(errorOf(internet)).toContain(message);
  });
});

describe("compileEgressPolicy", () => {
  it("expands presets, splits hosts from wildcards and drops duplicates", () => {
    const policy = compileEgressPolicy({
      allow: ["pypi.org", "*.npmjs.org", "common-dependencies", "*.archive.ubuntu.com"],
      methods: ["GET", "HEAD"],
    });
    expect(policy.hosts.filter((host) => host === "pypi.org")).toHaveLength(1);
    expect(policy.hosts).toContain("registry.npmjs.org");
    expect(policy.hosts).toContain("deb.debian.org");
    expect(policy.domains).toStrictEqual(["npmjs.org", "archive.ubuntu.com"]);
    expect(policy.methods).toStrictEqual(["GET", "HEAD"]);
  });

  it("yields a policy the proxy matches as configured", () => {
    const policy = compileEgressPolicy({
      allow: ["common-dependencies", "*.example.com"],
      methods: ["GET", "HEAD", "OPTIONS"],
    });
    expect(isHostAllowed(policy, "files.pythonhosted.org")).toBe(true);
    expect(isHostAllowed(policy, "us.archive.ubuntu.com")).toBe(true);
    expect(isHostAllowed(policy, "deep.api.example.com")).toBe(true);
    expect(isHostAllowed(policy, "example.com")).toBe(false);
    expect(isHostAllowed(policy, "pastebin.com")).toBe(false);
    expect(isMethodAllowed(policy, "HEAD")).toBe(true);
    expect(isMethodAllowed(policy, "PUT")).toBe(false);
  });

  it("allows nothing with an empty list", () => {
    const policy = compileEgressPolicy({ allow: [], methods: [] });
    expect(isHostAllowed(policy, "pypi.org")).toBe(false);
    expect(isMethodAllowed(policy, "GET")).toBe(false);
  });
});

describe("the presets", () => {
  it("hold only hosts and wildcards, each once", () => {
    for (const [name, entries] of Object.entries(INTERNET_PRESETS)) {
      expect(new Set(entries).size, name).toBe(entries.length);
      for (const entry of entries) {
        const result = parseAllowEntry(entry);
        expect(result.ok && result.entry.kind !== "preset" && result.text === entry, `${name}: ${entry}`).toBe(true);
      }
    }
  });

  it("are documented host by host in the configuration reference", async () => {
    const readme = await readFile(new URL("../../../docs/configuration.md", import.meta.url), "utf8");
    for (const [name, entries] of Object.entries(INTERNET_PRESETS)) {
      expect(readme).toContain(`\`${name}\``);
      for (const entry of entries) expect(readme, entry).toContain(`\`${entry}\``);
    }
  });
});

describe("renderDeniedNote", () => {
  it("lists denied hosts and methods, and what to change", () => {
    expect(renderDeniedNote(["denied.test", "evil.example"], ["POST allowed.test"])).toBe(
      "The egress proxy (`internet.agent: limited`) denied requests to hosts not in `internet.allow`: `denied.test`, " +
        "`evil.example`; methods not in `internet.methods`: `POST allowed.test`.",
    );
  });

  it("stays short with many hosts, and keeps names from breaking out of their code spans", () => {
    const hosts = Array.from({ length: 40 }, (_, index) => `host-${index}.example.com`);
    const note = renderDeniedNote(hosts, []);
    expect(note.length).toBeLessThan(300);
    expect(note).toMatch(/and \d+ more\.$/);
    expect(renderDeniedNote(["a`b.test\u202e"], [])).toContain("``a`b.test?``");
  });
});
