import type { z } from "zod";

/** One markdown line per problem: "`agent.max_turns`: expected …" (top-level problems have no path prefix). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) =>
    issue.path.length === 0 ? issue.message : `${codeSpan(formatPath(issue.path))}: ${issue.message}`,
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === "number" ? `[${segment}]` : `${index === 0 ? "" : "."}${String(segment)}`,
    )
    .join("");
}

/** Markdown code span that survives backticks in the text (user-controlled keys and values end up here). */
export function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const fence = "`".repeat(longestRun + 1);
  const padding = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${padding}${text}${padding}${fence}`;
}
