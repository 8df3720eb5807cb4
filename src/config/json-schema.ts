import { z } from "zod";
import { EXTENDS_PROPERTY, FIELD_DOCS, ROOT_DOC } from "./schema-docs.js";
import { createRepoConfigSchema } from "./schema.js";

/** Where the generated schema is committed (and served by the web process at /taskbox.schema.json). */
export const JSON_SCHEMA_FILE = "schema/taskbox.schema.json";

type JsonSchema = { properties?: Record<string, JsonSchema>; [key: string]: unknown };

/**
 * The JSON Schema of `.github/taskbox.yml`, generated from the zod schema. It describes what may be written (the
 * input side: durations as "30m", versions as numbers or strings), with the server-side defaults of a stock install.
 */
export function buildConfigJsonSchema(): JsonSchema {
  const schema = createRepoConfigSchema({ defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" });
  const generated = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const { $schema, ...rest } = generated;
  const documented = document(rest, "");
  return { $schema, ...ROOT_DOC, ...documented, properties: { _extends: EXTENDS_PROPERTY, ...documented.properties } };
}

/** Adds each field's documentation; zod's `required` lists are dropped, since every key has a default. */
function document(node: JsonSchema, path: string): JsonSchema {
  const { required: _required, ...rest } = node;
  if (!rest.properties) return rest;
  const properties = Object.fromEntries(
    Object.entries(rest.properties).map(([key, child]) => {
      const childPath = path ? `${path}.${key}` : key;
      return [key, { ...FIELD_DOCS[childPath], ...document(child, childPath), ...defaultOf(childPath) }];
    }),
  );
  return { ...rest, properties };
}

/** The YAML spelling wins over zod's parsed default (milliseconds for durations). */
function defaultOf(path: string): { default?: unknown } {
  const doc = FIELD_DOCS[path];
  return doc && "default" in doc ? { default: doc.default } : {};
}

/** Dotted paths of every field the schema has, for checking that each one is documented. */
export function schemaFieldPaths(node: JsonSchema, path = ""): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const childPath = path ? `${path}.${key}` : key;
    return [childPath, ...schemaFieldPaths(child, childPath)];
  });
}

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(buildConfigJsonSchema(), null, 2)}\n`;
}
