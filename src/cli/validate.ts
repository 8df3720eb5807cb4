import { readFile } from "node:fs/promises";
import { ProbotOctokit } from "probot";
import { parseDocument } from "yaml";
import { formatIssues } from "../config/format-issues.js";
import { loadRepoConfig, type ConfigSource } from "../config/load-repo-config.js";
import { CONFIG_PATH, createRepoConfigSchema, type ConfigDefaults } from "../config/schema.js";

export interface Validation {
  ok: boolean;
  /** What the bot would answer in the thread, and for schema problems each with its line and column. */
  lines: string[];
}

/**
 * Checks a config file exactly as the bot does: it goes through Probot's config plugin (the same YAML parser and
 * errors) and the same loader, served from disk instead of the GitHub API. `_extends` bases are not fetched.
 */
export async function validateConfigFile(
  file: string,
  options: { repository: string; defaults: ConfigDefaults },
): Promise<Validation> {
  const text = await readFile(file, "utf8");
  const [owner, repo] = options.repository.split("/") as [string, string];
  const result = await loadRepoConfig(localSource(text, owner, repo), options.defaults);
  if (result.ok) return { ok: true, lines: [`${file}: valid`] };
  const located = locateSchemaProblems(text, file, options.defaults);
  return { ok: false, lines: located.length > 0 ? [result.error.split("\n")[0]!, ...located] : [result.error] };
}

/** A Probot context look-alike whose API serves the file for `owner/repo` and answers 404 for anything else. */
function localSource(text: string, owner: string, repo: string): ConfigSource {
  const octokit = new ProbotOctokit({
    auth: { token: "unused" },
    retry: { enabled: false },
    throttle: { enabled: false },
    request: {
      fetch: (url: string) =>
        Promise.resolve(
          new URL(url).pathname === `/repos/${owner}/${repo}/contents/${encodeURIComponent(CONFIG_PATH)}`
            ? new Response(text, { headers: { "content-type": "text/plain; charset=utf-8" } })
            : new Response("{}", { status: 404, headers: { "content-type": "application/json" } }),
        ),
    },
  });
  return {
    async config(fileName) {
      const { config } = await octokit.config.get({ owner, repo, path: `.github/${fileName}` });
      return config;
    },
  };
}

/** The bot's problem lines (formatIssues), each prefixed with the file, line and column of the value it is about. */
function locateSchemaProblems(text: string, file: string, defaults: ConfigDefaults): string[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) return [];
  const result = createRepoConfigSchema(defaults).safeParse(document.toJS() ?? {});
  if (result.success) return [];
  const lineStarts = [0, ...Array.from(text.matchAll(/\n/g), (match) => match.index + 1)];
  return result.error.issues.map((issue) => {
    const node = closestNode(document, issue.path);
    const offset = node?.range?.[0] ?? 0;
    const line = lineStarts.findLastIndex((start) => start <= offset);
    return `${file}:${line + 1}:${offset - lineStarts[line]! + 1}: ${formatIssues([issue])[0]}`;
  });
}

type Located = { range?: [number, number, number] | null };

/** The deepest node on the path that exists: a missing key is reported where its mapping is. */
function closestNode(document: ReturnType<typeof parseDocument>, path: readonly PropertyKey[]): Located | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true) as Located | undefined;
    if (node && typeof node === "object" && node.range) return node;
  }
  return document.contents as Located | undefined;
}
