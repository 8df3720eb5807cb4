import { codeSpan, formatIssues } from "./format-issues.js";
import {
  CONFIG_FILE_NAME,
  CONFIG_PATH,
  createRepoConfigSchema,
  type ConfigDefaults,
  type RepoConfig,
} from "./schema.js";

export type ConfigResult = { ok: true; config: RepoConfig } | { ok: false; error: string };

/**
 * Structurally a Probot `Context`. The optional arguments are Probot's own (defaults, deepmerge options); tests and
 * other callers may implement just `config(fileName)`.
 */
export interface ConfigSource {
  config(
    fileName: string,
    defaults?: undefined,
    mergeOptions?: { arrayMerge(base: unknown[], override: unknown[]): unknown[] },
  ): Promise<unknown>;
}

const PLUGIN_PREFIX = "[@probot/octokit-plugin-config] ";
const CONTENTS_URL = /https?:\/\/\S+?\/repos\/([^/\s]+)\/([^/\s]+)\/contents\/([^\s?#]+)(?:\?\S*)?/;

export function parseRepoConfig(raw: unknown, defaults: ConfigDefaults): ConfigResult {
  const result = createRepoConfigSchema(defaults).safeParse(raw);
  if (result.success) return { ok: true, config: result.data };
  const problems = formatIssues(result.error.issues).map((line) => `- ${line}`);
  return { ok: false, error: [`\`${CONFIG_PATH}\` is invalid:`, ...problems].join("\n") };
}

export async function loadRepoConfig(source: ConfigSource, defaults: ConfigDefaults): Promise<ConfigResult> {
  let raw: unknown;
  try {
    // With `_extends`, the repository's lists replace the base's instead of being concatenated (deepmerge's
    // default), so a repo can narrow `environment.secrets` and listing a base secret again is not a duplicate.
    raw = await source.config(CONFIG_FILE_NAME, undefined, { arrayMerge: (_base, override) => override });
  } catch (error) {
    const message = describeConfigFileError(error);
    if (message === undefined) throw error;
    return { ok: false, error: message };
  }
  return parseRepoConfig(raw, defaults);
}

/** Markdown for errors caused by the content of a config file; undefined for anything else (network, auth, 5xx). */
function describeConfigFileError(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.message.startsWith(PLUGIN_PREFIX)) return undefined;
  const message = error.message.slice(PLUGIN_PREFIX.length);
  if (message.endsWith("(invalid YAML)") && error.cause instanceof Error) {
    const match = CONTENTS_URL.exec(message);
    const file = match === null ? codeSpan(CONFIG_PATH) : describeFile(match);
    return `${file} is not valid YAML: ${describeYamlError(error.cause)}`;
  }
  const readable = message.replace(new RegExp(CONTENTS_URL, "g"), (...match: string[]) => describeFile(match));
  return `Could not load the Taskbox configuration: ${readable}`;
}

/** `cause` is a `YAMLParseError` of the `yaml` package (Probot's parser, not a dependency of ours), hence duck typing. */
function describeYamlError(cause: Error): string {
  // The message is "<reason> at line L, column C:\n\n<snippet>". The snippet is left out on purpose: an
  // `_extends` base may live in a private repository while the comment thread is public.
  const reason = cause.message.split(/ at line \d+, column \d+:/)[0]!.trim();
  const start = (cause as { linePos?: Array<{ line?: unknown; col?: unknown }> }).linePos?.[0];
  if (typeof start?.line !== "number" || typeof start.col !== "number") return reason;
  return `line ${start.line}, column ${start.col}: ${reason}`;
}

function describeFile(match: readonly string[]): string {
  const [, owner, repo, path] = match;
  return `${codeSpan(decodeURIComponent(path!))} of ${codeSpan(`${owner}/${repo}`)}`;
}
