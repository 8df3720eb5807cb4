import { boundedCodeBlock, quoteUntrusted, sliceChars, statusMarker } from "./render-status.js";

const TITLE_LENGTH = 72;
const FALLBACK_TITLE = "Taskbox task";

// Budgets for the variable parts; together they stay far below GitHub's 65536-character body limit.
const SUMMARY_BUDGET = 40_000;
const REQUEST_BUDGET = 10_000;
const DIFFSTAT_BUDGET = 10_000;

/** The first non-blank line of the request, cut at a word boundary with an ellipsis when longer than ~72 characters. */
export function pullRequestTitle(request: string): string {
  const firstLine = request
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, " ").trim())
    .find((line) => line.length > 0);
  if (firstLine === undefined) return FALLBACK_TITLE;
  if (firstLine.length <= TITLE_LENGTH) return firstLine;
  const cut = sliceChars(firstLine, TITLE_LENGTH - 1);
  const wordEnd = cut.lastIndexOf(" ");
  // Break at a space only when that keeps most of the line; one long word is better cut than dropped.
  return `${(wordEnd >= TITLE_LENGTH / 2 ? cut.slice(0, wordEnd) : cut).trimEnd()}…`;
}

export interface PullRequestBodyInput {
  taskId: string;
  summary: string;
  request: string;
  requestedBy: string;
  issueNumber: number;
  diffstat: string;
}

/**
 * Links back to the issue without a closing keyword: the maintainer decides whether the pull request resolves it.
 */
export function renderPullRequestBody(input: PullRequestBodyInput): string {
  const summary = input.summary.trim()
    ? quoteUntrusted(input.summary, SUMMARY_BUDGET)
    : "*The agent did not describe its change.*";
  return [
    statusMarker(input.taskId),
    "## Summary",
    summary,
    "## Request",
    `Requested in #${input.issueNumber} by @${input.requestedBy}:`,
    quoteUntrusted(input.request, REQUEST_BUDGET),
    "## Changes",
    boundedCodeBlock(input.diffstat.trimEnd(), DIFFSTAT_BUDGET, { keep: "end", info: "text" }),
    `<sub>Opened by Taskbox for task \`${input.taskId}\`. Review it like any other contribution before merging.</sub>`,
  ].join("\n\n");
}
