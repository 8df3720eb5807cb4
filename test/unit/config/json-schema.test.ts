import { readdir, readFile } from "node:fs/promises";
import { Ajv2020 } from "ajv/dist/2020.js";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  buildConfigJsonSchema,
  JSON_SCHEMA_FILE,
  renderConfigJsonSchema,
  schemaFieldPaths,
} from "../../../src/config/json-schema.js";
import { parseRepoConfig } from "../../../src/config/load-repo-config.js";
import { FIELD_DOCS } from "../../../src/config/schema-docs.js";

const FIXTURES = new URL("../../fixtures/config/", import.meta.url);
const DEFAULTS = { defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" };

/** Repository config fixtures that the bot accepts (the secrets-file fixtures are another format). */
async function validConfigFixtures(): Promise<Array<[string, unknown]>> {
  const names = (await readdir(FIXTURES)).filter((name) => name.endsWith(".yml") && !name.startsWith("secrets"));
  const fixtures = await Promise.all(
    names.map(async (name) => [name, load(await readFile(new URL(name, FIXTURES), "utf8"))] as [string, unknown]),
  );
  return fixtures.filter(([, raw]) => parseRepoConfig(raw, DEFAULTS).ok);
}

function validator() {
  return new Ajv2020({ strict: false, allErrors: true }).compile(buildConfigJsonSchema());
}

describe("the JSON Schema of .github/taskbox.yml", () => {
  it("is committed as generated: run `npm run schema` after changing the config schema", async () => {
    const committed = await readFile(new URL(`../../../${JSON_SCHEMA_FILE}`, import.meta.url), "utf8");
    expect(committed).toBe(renderConfigJsonSchema());
  });

  it("documents every field with a title, a description and examples, and documents no field it lacks", () => {
    const paths = schemaFieldPaths(buildConfigJsonSchema()).filter((path) => path !== "_extends");
    expect(paths.toSorted()).toStrictEqual(Object.keys(FIELD_DOCS).toSorted());
    for (const doc of Object.values(FIELD_DOCS)) {
      expect(doc.title.length * doc.description.length * doc.examples.length).toBeGreaterThan(0);
    }
  });

  it("accepts every valid config fixture", async () => {
    const fixtures = await validConfigFixtures();
    expect(fixtures.map(([name]) => name)).toContain("full.yml");
    const validate = validator();
    for (const [name, raw] of fixtures) {
      expect(validate(raw) ? name : { name, errors: validate.errors }).toBe(name);
    }
  });

  it("accepts what each field's examples and defaults show", () => {
    const validate = validator();
    for (const [path, doc] of Object.entries(FIELD_DOCS)) {
      for (const value of [...doc.examples, ...("default" in doc ? [doc.default] : [])]) {
        const config = path.split(".").reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
        expect(validate(config) ? path : { path, value, errors: validate.errors }).toBe(path);
      }
    }
  });

  it.each([
    ["an unknown key", { agent: { modle: "gpt-5.1" } }],
    ["a wrong type", { agent: { max_turns: "ten" } }],
    ["a value outside its set", { internet: { agent: "sometimes" } }],
  ])("rejects %s, as the bot does", (_name, config) => {
    expect(parseRepoConfig(config, DEFAULTS).ok).toBe(false);
    expect(validator()(config)).toBe(false);
  });
});
