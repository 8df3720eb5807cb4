import type { TokenUsage } from "./token-usage.js";
import { formatDuration } from "../config/duration.js";
import { renderEnvironmentLine } from "./render-environment.js";
import { durationSuffix, renderNextStep, renderQueuedReason, runningProgress } from "./render-status-guidance.js";
import { PHASES, type PhaseName, type TaskState, type TaskStatus } from "./task-status.js";

export const STATUS_MARKER_PREFIX = "<!-- taskbox:task=";

/** First line of every status comment; the web handler and the worker find "their" comment by it. */
export function statusMarker(taskId: string): string {
  return `${STATUS_MARKER_PREFIX}${taskId} -->`;
}

/**
 * GitHub rejects comment and pull request bodies over 65536 characters. Every variable part of a body gets a budget
 * below, and the budgets of one body add up to well under this, so a body can never be refused for its size.
 */
export const GITHUB_BODY_LIMIT = 65_536;

const SUMMARY_BUDGET = 40_000;
const MESSAGE_BUDGET = 4_000;
const LOG_TAIL_BUDGET = 15_000;
const COMMAND_LENGTH = 200;
const NOTE_LENGTH = 300;
const MAX_NOTES = 10;

const HEADLINES: Record<Exclude<TaskState, "running" | "failed" | "cancelled">, string> = {
  queued: "⏳ Queued",
  preparing: "🛠️ Preparing environment",
  publishing: "📤 Opening pull request",
  succeeded: "✅ Pull request opened",
  answered: "💬 Answered",
  ready: "✅ Environment ready",
};

const FAILURES: Record<PhaseName | "queue" | "worker", { headline: string; where: string }> = {
  queue: { headline: "Task could not start", where: "while waiting in the queue" },
  worker: { headline: "Task interrupted", where: "because its worker stopped" },
  checkout: { headline: "Checkout failed", where: "in the checkout phase" },
  setup: { headline: "Setup failed", where: "in the setup phase" },
  agent: { headline: "Agent failed", where: "in the agent phase" },
  publish: { headline: "Publishing failed", where: "in the publish phase" },
};

const FINAL_STATES: ReadonlySet<TaskState> = new Set(["succeeded", "answered", "failed", "cancelled", "ready"]);

/**
 * Markdown for the one status comment of a task; a pure function of the status (and of `now`, for a running task's
 * elapsed time), re-rendered on every change.
 */
export function renderStatus(status: TaskStatus, now = Date.now()): string {
  const duration = FINAL_STATES.has(status.state) ? durationSuffix(status) : "";
  const sections = [
    `${statusMarker(status.taskId)}\n**Taskbox** · ${headline(status, now)}${duration}`,
    ...details(status),
  ];
  if (status.notes?.length) sections.push(renderNotes(status.notes));
  if (status.state === "failed" && status.failure) sections.push(renderNextStep(status.failure, status.configDocsUrl));
  if (status.pageUrl && status.state !== "queued") sections.push(`[View the task log](${status.pageUrl})`);
  sections.push(`<sub>Requested by @${status.requestedBy} · task \`${status.taskId}\`</sub>`);
  return sections.join("\n\n");
}

function headline(status: TaskStatus, now: number): string {
  switch (status.state) {
    case "running": {
      const progress = runningProgress(status, now);
      return progress ? `🤖 Running (${progress})` : "🤖 Running";
    }
    case "failed":
      return status.failure ? `❌ ${FAILURES[status.failure.phase].headline}` : "❌ Failed";
    case "cancelled":
      return status.cancelledBy ? `🛑 Cancelled by @${status.cancelledBy}` : "🛑 Cancelled";
    case "publishing":
      return status.followUp ? `📤 Pushing to #${status.followUp.number}` : HEADLINES.publishing;
    case "succeeded":
      return status.followUp ? `✅ Pushed to #${status.followUp.number}` : HEADLINES.succeeded;
    default:
      return HEADLINES[status.state];
  }
}

function details(status: TaskStatus): string[] {
  switch (status.state) {
    case "queued":
      return status.queuedReason ? [renderQueuedReason(status.queuedReason)] : [];
    case "preparing":
    case "publishing":
      return [];
    case "running":
      return status.lastCommand === undefined ? [] : [`Last command:\n\n${renderCommand(status.lastCommand)}`];
    case "succeeded":
      return [
        ...(status.followUp ? [renderPushed(status.followUp, status.commitSha)] : []),
        ...(status.pullRequest && !status.followUp
          ? [`Opened [#${status.pullRequest.number}](${status.pullRequest.url}).`]
          : []),
        ...(status.summary ? [quoteUntrusted(status.summary, SUMMARY_BUDGET)] : []),
        ...facts(status),
      ];
    case "answered":
      return [
        ...(status.summary
          ? [quoteUntrusted(status.summary, SUMMARY_BUDGET)]
          : ["The agent finished without changes or an answer."]),
        ...facts(status),
      ];
    case "failed":
      return [...renderFailure(status.failure), ...facts(status)];
    case "cancelled":
      return ["The sandbox was stopped and removed; nothing was pushed.", ...facts(status)];
    case "ready":
      return [
        ...facts(status),
        ...(status.environment?.logTail?.trim() ? [renderLogTail(status.environment.logTail)] : []),
      ];
  }
}

function renderPushed(pull: NonNullable<TaskStatus["followUp"]>, sha: string | undefined): string {
  const commit = sha ? `[\`${sha.slice(0, 7)}\`](${pull.url}/commits/${sha})` : "a commit";
  // Git allows backticks in branch names; one would end the code span early.
  return `Pushed ${commit} to [#${pull.number}](${pull.url}) (branch \`${pull.branch.replace(/`/g, "")}\`).`;
}

function renderCommand(command: string): string {
  const oneScreen = command.length > COMMAND_LENGTH ? `${sliceChars(command, COMMAND_LENGTH)} …` : command;
  return fencedCodeBlock(oneScreen, "sh");
}

function renderFailure(failure: TaskStatus["failure"]): string[] {
  if (!failure) return ["The task failed without an error message."];
  const parts = [`The task failed ${FAILURES[failure.phase].where}:`, quoteUntrusted(failure.message, MESSAGE_BUDGET)];
  if (failure.logTail?.trim()) parts.push(renderLogTail(failure.logTail));
  return parts;
}

/** Keeps the end of the log: the lines just before a failure are the ones that explain it. */
function renderLogTail(logTail: string): string {
  const open = "<details><summary>Log tail</summary>\n\n";
  const close = "\n\n</details>";
  const budget = LOG_TAIL_BUDGET - open.length - close.length;
  return `${open}${boundedCodeBlock(stripAnsi(logTail).trimEnd(), budget, { keep: "end", info: "text" })}${close}`;
}

function facts(status: TaskStatus): string[] {
  const out: string[] = [];
  if (status.environment) out.push(renderEnvironmentLine(status.environment));
  const phases = PHASES.filter((phase) => status.timings[phase] !== undefined);
  if (phases.length > 0) {
    const total = phases.reduce((sum, phase) => sum + (status.timings[phase] ?? 0), 0);
    out.push(
      table(
        [...phases, "total"],
        [...phases.map((phase) => formatDuration(status.timings[phase] ?? 0)), formatDuration(total)],
      ),
    );
  }
  if (status.usage) out.push(renderUsage(status.usage));
  return out;
}

function renderUsage(usage: TokenUsage): string {
  const count = (n: number) => n.toLocaleString("en-US");
  return table(
    ["prompt tokens", "completion tokens", "total tokens"],
    [count(usage.promptTokens), count(usage.completionTokens), count(usage.totalTokens)],
  );
}

function table(header: string[], row: string[]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => " ---: |").join("")}`, `| ${row.join(" | ")} |`].join("\n");
}

function renderNotes(notes: string[]): string {
  const shown = notes.slice(0, MAX_NOTES).map((note) => {
    const line = neutralise(note.replace(/\s+/g, " ").trim());
    return `- ${line.length > NOTE_LENGTH ? `${sliceChars(line, NOTE_LENGTH)} …` : line}`;
  });
  if (notes.length > MAX_NOTES) shown.push(`- … and ${notes.length - MAX_NOTES} more`);
  return shown.join("\n");
}

// Shared markdown helpers for the report renderers.

/**
 * Renders text written by a user or the agent as a blockquote. The quote contains whatever the text does: an unclosed
 * code fence or HTML tag ends with the quote instead of swallowing the rest of the body. Text longer than maxChars
 * (measured on the rendered quote) is cut with a visible marker.
 */
export function quoteUntrusted(text: string, maxChars: number): string {
  const lines = neutralise(text.trimEnd()).split(/\r?\n/);
  const reserve = 80; // room for the truncation marker
  const out: string[] = [];
  let used = 0;
  let truncated = false;
  for (const line of lines) {
    const quoted = line.length > 0 ? `> ${line}` : ">";
    const room = maxChars - reserve - used;
    if (quoted.length + 1 > room) {
      if (room > 3) out.push(sliceChars(quoted, room - 1));
      truncated = true;
      break;
    }
    out.push(quoted);
    used += quoted.length + 1;
  }
  if (truncated) out.push(">", `> *… truncated, the full text is ${text.length} characters long*`);
  return out.join("\n");
}

/** A fenced code block whose fence is longer than any run of backticks inside, so the content cannot close it. */
export function fencedCodeBlock(content: string, info = ""): string {
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${content}\n${fence}`;
}

/**
 * A fenced code block of at most maxChars, fence included (a long backtick run inside makes the fence long too). When the
 * content does not fit, the start or end of it is kept and a line above the block says so.
 */
export function boundedCodeBlock(
  content: string,
  maxChars: number,
  options: { keep: "start" | "end"; info?: string },
): string {
  const cut = options.keep === "end" ? sliceCharsFromEnd : sliceChars;
  let kept = cut(content, maxChars);
  for (;;) {
    const marker =
      kept.length < content.length
        ? `*… showing the ${options.keep === "end" ? "last" : "first"} ${kept.length} of ${content.length} characters*\n\n`
        : "";
    const block = `${marker}${fencedCodeBlock(kept, options.info)}`;
    const overflow = block.length - maxChars;
    if (overflow <= 0 || kept.length === 0) return block;
    kept = cut(content, Math.max(0, kept.length - overflow - 16));
  }
}

/**
 * Defuses the parts of untrusted text that act beyond their own paragraph: HTML comments (an unclosed one hides the
 * rest of the body, and a fake status marker could be mistaken for ours) and @mentions (the agent's or a quoted
 * prompt's text should not notify people; a zero-width space after the @ keeps it readable but inert).
 */
export function neutralise(text: string): string {
  return text.replace(/<!--/g, "&lt;!--").replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, "$1@\u200b");
}

/** The first maxLength UTF-16 units, without splitting a surrogate pair. */
export function sliceChars(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const end = isHighSurrogate(text.charCodeAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  return text.slice(0, Math.max(0, end));
}

function sliceCharsFromEnd(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const start = text.length - maxLength;
  return text.slice(isLowSurrogate(text.charCodeAt(start)) ? start + 1 : start);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

// Colour codes from tools like npm make a log tail unreadable once rendered as plain text.
function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "");
}
