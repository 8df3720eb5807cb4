import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSecretsStore, resolveSecrets, SecretsFileError, type SecretsStore } from "../../../src/config/secrets.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));

describe("loadSecretsStore", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "taskbox-secrets-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fileWith(content: string): Promise<string> {
    const path = join(dir, `secrets-${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(path, content);
    return path;
  }

  it("returns an empty store when no path is configured", async () => {
    await expect(loadSecretsStore(undefined)).resolves.toStrictEqual({});
  });

  it("reads scopes and coerces numbers to strings", async () => {
    await expect(loadSecretsStore(fixture("secrets.yml"))).resolves.toStrictEqual({
      "acme/widgets": { NPM_TOKEN: "npm-widgets-token", PORT: "8080" },
      "acme/*": { NPM_TOKEN: "npm-org-token", SENTRY_TOKEN: "sentry-org-token" },
      "other/widgets": { NPM_TOKEN: "npm-other-token" },
    });
  });

  it("treats a file with only comments as no secrets", async () => {
    await expect(loadSecretsStore(await fileWith("# nothing yet\n\n"))).resolves.toStrictEqual({});
  });

  it("names a missing file", async () => {
    const path = join(dir, "absent.yml");
    const error = await loadSecretsStore(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsFileError);
    expect((error as Error).message).toBe(`secrets file ${path} does not exist`);
  });

  it("names a path that cannot be read", async () => {
    await expect(loadSecretsStore(dir)).rejects.toThrow(
      new SecretsFileError(`secrets file ${dir} cannot be read (EISDIR)`),
    );
  });

  it("gives the position of a YAML error without quoting the file", async () => {
    const path = fixture("secrets-invalid-yaml.yml");
    const error = await loadSecretsStore(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsFileError);
    expect((error as Error).message).toMatch(
      new RegExp(`^secrets file ${path} is not valid YAML at line \\d+, column \\d+: \\S`),
    );
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("s3cr3t");
    expect((error as Error).cause).toBeUndefined();
  });

  it("lists every malformed entry without leaking values or suspicious keys", async () => {
    const path = fixture("secrets-invalid-entries.yml");
    const error = await loadSecretsStore(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretsFileError);
    const message = (error as Error).message;
    expect(message).toBe(
      `secrets file ${path} is invalid: ` +
        [
          'scope "acme/widgets": NPM_TOKEN must be a non-empty string',
          'scope "acme/widgets": key #2 is not a valid variable name (letters, digits and `_`, not starting with a digit)',
          'scope "acme/widgets": EMPTY must be a non-empty string',
          'top-level key #2 is not an "owner/repo" or "owner/*" scope',
          'scope "acme/*" must be a mapping of NAME: value',
          'scopes "acme/widgets" and "ACME/Widgets" are the same (GitHub names are case-insensitive)',
        ].join("; "),
    );
    expect(message).not.toContain("s3cr3t");
  });

  it.each([
    ["a list at the top level", "- acme/widgets\n"],
    ["a scalar at the top level", "s3cr3t-value\n"],
  ])("rejects %s", async (_label, content) => {
    const path = await fileWith(content);
    await expect(loadSecretsStore(path)).rejects.toThrow(
      new SecretsFileError(
        `secrets file ${path} must be a mapping of "owner/repo" or "owner/*" scopes to NAME: value mappings`,
      ),
    );
  });
});

describe("resolveSecrets", () => {
  const store: SecretsStore = {
    "acme/widgets": { NPM_TOKEN: "repo-npm" },
    "acme/*": { NPM_TOKEN: "org-npm", SENTRY_TOKEN: "org-sentry" },
    "acme/gadgets": { GADGET_KEY: "gadget-only" },
    "other/widgets": { OTHER_KEY: "other-only" },
    "other/*": { OTHER_ORG_KEY: "other-org" },
  };

  it.each([
    ["the repository scope wins over the owner wildcard", "acme/widgets", ["NPM_TOKEN"], { NPM_TOKEN: "repo-npm" }],
    [
      "the wildcard fills names the repository scope lacks",
      "acme/widgets",
      ["NPM_TOKEN", "SENTRY_TOKEN"],
      { NPM_TOKEN: "repo-npm", SENTRY_TOKEN: "org-sentry" },
    ],
    ["a repository without its own scope uses the wildcard", "acme/tools", ["NPM_TOKEN"], { NPM_TOKEN: "org-npm" }],
    ["scopes compare case-insensitively", "ACME/Widgets", ["NPM_TOKEN"], { NPM_TOKEN: "repo-npm" }],
    ["only requested names are returned", "acme/gadgets", ["GADGET_KEY"], { GADGET_KEY: "gadget-only" }],
    ["no names need no secrets", "nobody/nothing", [], {}],
  ])("%s", (_label, repository, names, values) => {
    expect(resolveSecrets(store, repository, names)).toStrictEqual({ ok: true, values });
  });

  it.each([
    ["another repository's scope", "acme/widgets", ["GADGET_KEY"]],
    ["another owner's repository with the same name", "acme/widgets", ["OTHER_KEY"]],
    ["another owner's wildcard", "acme/widgets", ["OTHER_ORG_KEY"]],
    ["an Object.prototype member", "acme/widgets", ["constructor"]],
  ])("never hands out %s", (_label, repository, names) => {
    const result = resolveSecrets(store, repository, names);
    expect(result.ok).toBe(false);
  });

  it("lists every missing name, and no value, in the error", () => {
    const result = resolveSecrets(store, "acme/widgets", ["NPM_TOKEN", "GADGET_KEY", "MISSING"]);
    expect(result).toStrictEqual({
      ok: false,
      error:
        "The secrets `GADGET_KEY`, `MISSING` are not defined for `acme/widgets`. They must be defined in the Taskbox " +
        "server's secrets file under `acme/widgets` or `acme/*`.",
    });
    expect(JSON.stringify(result)).not.toMatch(/repo-npm|gadget-only/);
  });

  it("uses the singular for one missing name", () => {
    const result = resolveSecrets({}, "acme/widgets", ["NPM_TOKEN"]);
    expect(result.ok ? "" : result.error).toBe(
      "The secret `NPM_TOKEN` is not defined for `acme/widgets`. It must be defined in the Taskbox server's secrets " +
        "file under `acme/widgets` or `acme/*`.",
    );
  });

  it("refuses a repository that is not owner/repo", () => {
    expect(() => resolveSecrets(store, "acme", ["NPM_TOKEN"])).toThrow('expected "owner/repo", got "acme"');
  });
});
