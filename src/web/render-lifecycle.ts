import { formatDuration } from "../config/duration.js";
import { closestMatch } from "../config/schema.js";
import type { ThreadKind } from "../queue/task-job.js";
import { isFinished, type TaskRecord } from "../queue/task-record.js";
import { FORK_REFUSAL } from "../report/render-replies.js";
import { neutralise } from "../report/render-status.js";
import type { TaskState } from "../report/task-status.js";

const STATE_LABELS: Partial<Record<TaskState, string>> = {
  queued: "⏳ queued",
  preparing: "🛠️ preparing",
  running: "🤖 running",
  publishing: "📤 publishing",
  succeeded: "✅ succeeded",
  answered: "💬 answered",
  cancelled: "🛑 cancelled",
  failed: "❌ failed",
};

const REQUEST_PREVIEW = 60;

function threadNoun(kind: ThreadKind): string {
  return kind === "pull" ? "pull request" : "issue";
}

export function renderForkRefusal(login: string): string {
  return `@${login}, ${FORK_REFUSAL} Push the branch to this repository and ask on that pull request, or describe the change in an issue.`;
}

export function renderClosedPull(login: string, state: "closed" | "merged"): string {
  return `@${login}, this pull request is ${state}; Taskbox adds commits only to open pull requests. Reopen it, or ask on an issue.`;
}

/** Shown in a new task's status comment when tasks on the same thread are ahead of it. */
export function renderQueuedBehind(ahead: string[], kind: ThreadKind): string {
  const tasks = ahead.map((taskId) => `\`${taskId}\``).join(", ");
  const which = ahead.length === 1 ? `task ${tasks}` : `${ahead.length} tasks (${tasks})`;
  return `Waits for ${which} on this ${threadNoun(kind)} to finish, then runs on its result.`;
}

export function renderUnknownCommand(command: string, word: string, subcommands: string[]): string {
  const suggestion = closestMatch(word.toLowerCase(), subcommands);
  const known = subcommands.map((name) => `\`${command} ${name}\``).join(", ");
  return [
    `\`${command} ${neutralise(word.replace(/`/g, ""))}\` is not a Taskbox command${suggestion ? `; did you mean \`${command} ${suggestion}\`?` : "."}`,
    `The commands are ${known}. To run a task, describe it in more than one word, for example \`${command} add a --verbose flag to the CLI\`.`,
  ].join("\n\n");
}

export function renderNothingToCancel(kind: ThreadKind): string {
  return `There is no queued or running Taskbox task on this ${threadNoun(kind)}.`;
}

export function renderNothingToRetry(command: string, kind: ThreadKind): string {
  return `There is no earlier Taskbox task on this ${threadNoun(kind)} to run again. Start one with \`${command} <what to do>\`.`;
}

export function renderRetryBusy(command: string, record: TaskRecord): string {
  return (
    `The last task on this ${threadNoun(record.thread.kind)}, \`${record.taskId}\`, has not finished yet (${stateLabel(record)}). ` +
    `Wait for it, or stop it with \`${command} cancel\` first.`
  );
}

export function renderNothingToAddress(login: string, label: string): string {
  return (
    `@${login}, this pull request has no open review comments and no new comments since the last Taskbox task, so the ` +
    `\`${label}\` label has nothing to address. Add review comments and label it again, or comment with a request.`
  );
}

/** The reply to `/taskbox status`: the thread's tasks, newest first. */
export function renderThreadTasks(records: TaskRecord[], kind: ThreadKind, now: number): string {
  if (records.length === 0) return `No Taskbox tasks have run on this ${threadNoun(kind)} in the last 30 days.`;
  const rows = records.map((record) => {
    const id = record.statusCommentUrl ? `[\`${record.taskId}\`](${record.statusCommentUrl})` : `\`${record.taskId}\``;
    const started = new Date(record.createdAt).toISOString().slice(0, 16).replace("T", " ");
    return `| ${id} | ${stateLabel(record)} | ${quiet(record.requestedBy)} | ${record.trigger} | ${started} UTC | ${took(record, now)} | ${result(record)} |`;
  });
  const active = records.filter((record) => !isFinished(record)).length;
  return [
    `**Taskbox tasks on this ${threadNoun(kind)}** (newest first; ${active === 0 ? "none is running or queued" : `${active} running or queued`})`,
    ["| task | state | by | trigger | requested | took | result |", "|---|---|---|---|---|---:|---|", ...rows].join(
      "\n",
    ),
  ].join("\n\n");
}

function stateLabel(record: TaskRecord): string {
  return STATE_LABELS[record.state] ?? record.state;
}

function took(record: TaskRecord, now: number): string {
  if (record.startedAt === undefined) return "–";
  return formatDuration(Math.max(0, (record.finishedAt ?? now) - record.startedAt));
}

function result(record: TaskRecord): string {
  const request = oneLine(record.request);
  const asked = request ? ` “${request}”` : "";
  switch (record.state) {
    case "succeeded":
      return record.pullRequest ? `[#${record.pullRequest.number}](${record.pullRequest.url})${asked}` : asked.trim();
    case "failed":
      return `failed in ${record.failure?.phase ?? "?"}${asked}`;
    case "cancelled":
      return `by ${quiet(record.cancelledBy ?? "?")}${asked}`;
    default:
      return asked.trim();
  }
}

/** A login that reads as a mention but notifies nobody: a status reply must not ping everyone who ever asked. */
function quiet(login: string): string {
  return neutralise(`@${login}`);
}

/** A table cell's preview of a request: one line, no pipes or markup that would break the table. */
function oneLine(text: string): string {
  const line = neutralise(text.replace(/\s+/g, " ").trim()).replace(/[|`*_[\]<>]/g, " ");
  return line.length > REQUEST_PREVIEW ? `${line.slice(0, REQUEST_PREVIEW - 1).trimEnd()}…` : line;
}
