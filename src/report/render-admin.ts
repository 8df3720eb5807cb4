import { formatDuration } from "../config/duration.js";
import { escapeHtml, renderLayout } from "./render-page-layout.js";

export interface AdminTaskRow {
  taskId: string;
  repository: string;
  threadNumber: number;
  requestedBy: string;
  request: string;
  state: string;
  /** Enqueued, for queued tasks; started or finished for the others. */
  at: number;
}

export interface AdminWorkerRow {
  name: string;
  address: string;
  ageSeconds: number;
}

export interface AdminEnvironmentRow {
  repository: string;
  sizeBytes: number;
  lastUsed: number;
}

export interface AdminPageInput {
  viewer: string;
  /** The viewer's form token; every cancel button posts it. */
  formToken: string;
  running: AdminTaskRow[];
  queued: AdminTaskRow[];
  recent: AdminTaskRow[];
  workers: AdminWorkerRow[];
  /** undefined: this process has no Docker engine to ask (a web-only process). */
  environments: AdminEnvironmentRow[] | undefined;
  now: number;
}

export function renderAdminPage(input: AdminPageInput): string {
  const body = [
    `<h1>Operations</h1><p><a href="/admin/queue">Raw queue (bull-board)</a> · <a href="/metrics">Metrics</a></p>`,
    section("Running", taskTable(input.running, input, true)),
    section("Queued", taskTable(input.queued, input, true)),
    section("Recent", taskTable(input.recent, input, false)),
    section("Workers", workerTable(input.workers)),
    section("Cached environments", environmentTable(input.environments, input.now)),
  ].join("\n");
  return renderLayout({ title: "Operations", body, viewer: input.viewer });
}

function section(title: string, content: string): string {
  return `<h2>${escapeHtml(title)}</h2>${content}`;
}

function taskTable(rows: AdminTaskRow[], input: AdminPageInput, cancellable: boolean): string {
  if (rows.length === 0) return `<p class="muted">None.</p>`;
  const cells = rows.map((row) => {
    const cancel = cancellable
      ? `<td><form method="post" action="/admin/tasks/${encodeURIComponent(row.taskId)}/cancel"><input type="hidden" name="token" value="${escapeHtml(input.formToken)}"><button>Cancel</button></form></td>`
      : "";
    return `<tr><td><a href="/tasks/${encodeURIComponent(row.taskId)}"><code>${escapeHtml(row.taskId)}</code></a></td><td>${escapeHtml(row.repository)}#${row.threadNumber}</td><td>@${escapeHtml(row.requestedBy)}</td><td>${escapeHtml(firstLine(row.request))}</td><td>${escapeHtml(row.state)}</td><td>${formatDuration(Math.max(0, input.now - row.at))} ago</td>${cancel}</tr>`;
  });
  const header = `<tr><th>Task</th><th>Thread</th><th>By</th><th>Request</th><th>State</th><th>Since</th>${cancellable ? "<th></th>" : ""}</tr>`;
  return `<table>${header}${cells.join("")}</table>`;
}

function workerTable(rows: AdminWorkerRow[]): string {
  if (rows.length === 0) return `<p class="muted">No worker is connected.</p>`;
  const cells = rows.map(
    (row) =>
      `<tr><td>${escapeHtml(row.name)}</td><td>${escapeHtml(row.address)}</td><td>${formatDuration(row.ageSeconds * 1000)}</td></tr>`,
  );
  return `<table><tr><th>Worker</th><th>Address</th><th>Connected for</th></tr>${cells.join("")}</table>`;
}

function environmentTable(rows: AdminEnvironmentRow[] | undefined, now: number): string {
  if (rows === undefined) return `<p class="muted">Listed by processes that run a worker.</p>`;
  if (rows.length === 0) return `<p class="muted">None.</p>`;
  const cells = rows.map(
    (row) =>
      `<tr><td>${escapeHtml(row.repository)}</td><td>${(row.sizeBytes / 1024 ** 2).toFixed(1)} MiB</td><td>${formatDuration(Math.max(0, now - row.lastUsed))} ago</td></tr>`,
  );
  return `<table><tr><th>Repository</th><th>Size</th><th>Last used</th></tr>${cells.join("")}</table>`;
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 120 ? `${line.slice(0, 120)} …` : line;
}
