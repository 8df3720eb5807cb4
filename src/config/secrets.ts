import { readFile } from "node:fs/promises";
import { load, YAMLException } from "js-yaml";
import { codeSpan } from "./format-issues.js";
import { ENV_NAME_PATTERN, ENV_NAME_RULE } from "./schema.js";

/** Scope ("owner/repo" or "owner/*") → NAME → value. */
export type SecretsStore = Record<string, Record<string, string>>;

export class SecretsFileError extends Error {
  override name = "SecretsFileError";
}

const SCOPE_PATTERN = /^[A-Za-z0-9_.-]+\/(?:\*|[A-Za-z0-9_.-]+)$/;
const BLANK_OR_COMMENT = /^\s*(?:#.*)?$/;

/**
 * Reads the server's secrets file (YAML: scope → NAME → value). Error messages name the path and the problem but
 * never a value, and never a key that failed validation (a value pasted in the wrong place would be one).
 */
export async function loadSecretsStore(path: string | undefined): Promise<SecretsStore> {
  if (path === undefined) return {};
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "unknown error"})`;
    throw new SecretsFileError(`secrets file ${path} ${problem}`, { cause: error });
  }
  // js-yaml rejects an empty document; a file holding only comments is a valid "no secrets yet".
  if (text.split("\n").every((line) => BLANK_OR_COMMENT.test(line))) return {};
  return validateStore(parseYaml(text, path), path);
}

function parseYaml(text: string, path: string): unknown {
  try {
    return load(text);
  } catch (error) {
    // The exception's message quotes the surrounding source lines, i.e. secret values: keep reason and position only,
    // and do not attach it as `cause`.
    if (error instanceof YAMLException) {
      const at = error.mark === undefined ? "" : ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}`;
      throw new SecretsFileError(`secrets file ${path} is not valid YAML${at}: ${error.reason}`);
    }
    throw new SecretsFileError(`secrets file ${path} could not be parsed`);
  }
}

function validateStore(raw: unknown, path: string): SecretsStore {
  if (!isMapping(raw)) {
    throw new SecretsFileError(
      `secrets file ${path} must be a mapping of "owner/repo" or "owner/*" scopes to NAME: value mappings`,
    );
  }
  const problems: string[] = [];
  const store: SecretsStore = {};
  const scopeByLowerCase = new Map<string, string>();
  Object.entries(raw).forEach(([scope, entries], scopeIndex) => {
    if (!SCOPE_PATTERN.test(scope)) {
      problems.push(`top-level key #${scopeIndex + 1} is not an "owner/repo" or "owner/*" scope`);
      return;
    }
    const clash = scopeByLowerCase.get(scope.toLowerCase());
    if (clash !== undefined) {
      problems.push(`scopes "${clash}" and "${scope}" are the same (GitHub names are case-insensitive)`);
      return;
    }
    scopeByLowerCase.set(scope.toLowerCase(), scope);
    if (!isMapping(entries)) {
      problems.push(`scope "${scope}" must be a mapping of NAME: value`);
      return;
    }
    const values: Record<string, string> = {};
    Object.entries(entries).forEach(([name, value], nameIndex) => {
      if (!ENV_NAME_PATTERN.test(name)) {
        problems.push(`scope "${scope}": key #${nameIndex + 1} is not a valid variable name (${ENV_NAME_RULE})`);
      } else if (typeof value === "string" && value !== "") {
        values[name] = value;
      } else if (typeof value === "number" && Number.isFinite(value)) {
        values[name] = String(value);
      } else {
        // Empty values are refused because output redaction cannot match an empty string.
        problems.push(`scope "${scope}": ${name} must be a non-empty string`);
      }
    });
    store[scope] = values;
  });
  if (problems.length > 0) throw new SecretsFileError(`secrets file ${path} is invalid: ${problems.join("; ")}`);
  return store;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Values for `names` from the repository's own scopes only: "owner/repo" wins over "owner/*". Scopes compare
 * case-insensitively like GitHub names; secret names are case-sensitive like environment variables.
 */
export function resolveSecrets(
  store: SecretsStore,
  repository: string,
  names: string[],
): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
  const [owner, repo, ...rest] = repository.split("/");
  if (!owner || !repo || rest.length > 0) throw new Error(`expected "owner/repo", got ${JSON.stringify(repository)}`);
  const repoScope = scopeValues(store, repository);
  const ownerScope = scopeValues(store, `${owner}/*`);
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = lookup(repoScope, name) ?? lookup(ownerScope, name);
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length === 0) return { ok: true, values };
  const list = missing.map((name) => codeSpan(name)).join(", ");
  return {
    ok: false,
    error:
      `${missing.length === 1 ? "The secret" : "The secrets"} ${list} ${missing.length === 1 ? "is" : "are"} not defined ` +
      `for ${codeSpan(repository)}. ${missing.length === 1 ? "It" : "They"} must be defined in the Taskbox server's ` +
      `secrets file under ${codeSpan(repository)} or ${codeSpan(`${owner}/*`)}.`,
  };
}

function scopeValues(store: SecretsStore, scope: string): Record<string, string>[] {
  const wanted = scope.toLowerCase();
  return Object.entries(store)
    .filter(([key]) => key.toLowerCase() === wanted)
    .map(([, values]) => values);
}

function lookup(scopes: Record<string, string>[], name: string): string | undefined {
  // hasOwn: names like `constructor` must not resolve to Object.prototype members.
  return scopes.find((values) => Object.hasOwn(values, name))?.[name];
}
