import { formatDuration } from "../config/duration.js";
import { escapeHtml, renderLayout, safeHref } from "./render-page-layout.js";
import type { TranscriptEntry, TranscriptEvent } from "./transcript-events.js";

export const LIVE_SCRIPT_PATH = "/pages/live.js";

/** What the page's header shows; a task record has all of it. */
export interface TaskPageFacts {
  taskId: string;
  repository: string;
  thread: { kind: "issue" | "pull"; number: number };
  requestedBy: string;
  trigger: string;
  state: string;
  request: string;
}

export interface TaskPageInput {
  record: TaskPageFacts;
  entries: TranscriptEntry[];
  viewer: string;
  /** While the task runs, the page follows its transcript (with JavaScript); an ended page is complete as served. */
  live: boolean;
}

/** The task page: who asked for what, then every transcript event in order. All task text is escaped. */
export function renderTaskPage({ record, entries, viewer, live }: TaskPageInput): string {
  const lastId = entries.at(-1)?.id ?? "0";
  const facts = [
    ["Repository", escapeHtml(record.repository)],
    ["Thread", `${record.thread.kind === "pull" ? "pull request" : "issue"} #${record.thread.number}`],
    ["Requested by", `@${escapeHtml(record.requestedBy)}`],
    ["Trigger", escapeHtml(record.trigger)],
    ["State", `<span id="task-state">${escapeHtml(record.state)}</span>`],
  ];
  const body = `<h1>Task <code>${escapeHtml(record.taskId)}</code></h1>
<table>${facts.map(([name, value]) => `<tr><th>${name}</th><td>${value}</td></tr>`).join("")}</table>
<h2>Request</h2><pre>${escapeHtml(record.request)}</pre>
<h2>Log</h2>
<ol class="events" id="events" data-live="${live ? "1" : "0"}" data-after="${escapeHtml(lastId)}" data-source="/tasks/${encodeURIComponent(record.taskId)}/events">
${entries.map(renderTranscriptEntry).join("\n")}
</ol>${live ? `<p class="muted" id="live-note">The task is running; this page follows it.</p>` : ""}`;
  return renderLayout({ title: `Task ${record.taskId}`, body, viewer, script: live ? LIVE_SCRIPT_PATH : undefined });
}

/** One event as a list item; the live page receives exactly these over server-sent events. */
export function renderTranscriptEntry(entry: TranscriptEntry): string {
  const { event } = entry;
  const time = entry.at ? `<span class="muted">${new Date(entry.at).toISOString().slice(11, 19)}</span> ` : "";
  const turnClass = event.type === "turn" ? ` class="turn"` : "";
  return `<li data-type="${event.type}"${turnClass}>${time}${renderEvent(event)}</li>`;
}

function renderEvent(event: TranscriptEvent): string {
  switch (event.type) {
    case "task":
      return `Started with image <code>${escapeHtml(event.image)}</code>, runner <code>${escapeHtml(event.runner)}</code>, internet: setup ${escapeHtml(event.internet.setup)}, agent ${escapeHtml(event.internet.agent)}${event.internet.allow.length ? ` (allow: ${event.internet.allow.map((host) => `<code>${escapeHtml(host)}</code>`).join(", ")})` : ""}`;
    case "phase":
      return event.state === "started"
        ? `Phase <strong>${escapeHtml(event.phase)}</strong> started`
        : `Phase <strong>${escapeHtml(event.phase)}</strong> ended after ${formatDuration(event.ms ?? 0)}`;
    case "environment":
      return renderEnvironment(event);
    case "output":
      return `<details><summary>${escapeHtml(event.source)} output</summary><pre>${escapeHtml(event.text)}</pre></details>`;
    case "turn":
      return `Turn ${event.turn}${event.maxTurns ? ` of ${event.maxTurns}` : ""}`;
    case "message":
      return `Model:<pre class="message">${escapeHtml(event.text)}</pre>`;
    case "command":
      return `<code>$ ${escapeHtml(event.command)}</code> → <span class="${event.exitCode === 0 ? "ok" : "failed"}">exit code ${event.exitCode}${event.timedOut ? " (timed out)" : ""}</span><pre>${escapeHtml(event.output) || '<span class="muted">(no output)</span>'}</pre>`;
    case "denied":
      return `<span class="failed">Egress denied</span>: <code>${escapeHtml(event.host)}</code> (${escapeHtml(event.reason)})`;
    case "tokens":
      return `Tokens (${escapeHtml(event.runner)}): ${event.promptTokens} prompt, ${event.completionTokens} completion, ${event.totalTokens} total`;
    case "result":
      return renderResult(event);
    case "truncated":
      return `<strong>Transcript truncated</strong>: it reached ${event.limitBytes} bytes, so later events were not kept (the result still is).`;
  }
}

function renderEnvironment(event: Extract<TranscriptEvent, { type: "environment" }>): string {
  if (event.cache === "hit") {
    const age = event.cacheAgeMs === undefined ? "" : `, cached ${formatDuration(event.cacheAgeMs)} before`;
    return `Environment cache <strong>hit</strong>${age}`;
  }
  if (event.cache === "miss")
    return `Environment cache <strong>miss</strong>: ${escapeHtml(event.reason ?? "no cached environment")}`;
  return "Environment: no setup script, nothing to cache";
}

function renderResult(event: Extract<TranscriptEvent, { type: "result" }>): string {
  const parts = [
    `<strong id="result" class="${event.state === "failed" ? "failed" : "ok"}">Result: ${escapeHtml(event.state)}</strong>`,
  ];
  if (event.pullRequest) {
    parts.push(`<a href="${safeHref(event.pullRequest.url)}">Pull request #${event.pullRequest.number}</a>`);
  }
  if (event.diffstat) parts.push(`<pre>${escapeHtml(event.diffstat)}</pre>`);
  if (event.answer) parts.push(`<pre class="message">${escapeHtml(event.answer)}</pre>`);
  if (event.failure) {
    parts.push(
      `Failed in the ${escapeHtml(event.failure.phase)} phase:<pre>${escapeHtml(event.failure.message)}</pre>`,
    );
  }
  return parts.join(" ");
}
