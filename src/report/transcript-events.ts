/**
 * What a task's transcript records, in the order it happened. The agent events are runner-neutral: the builtin loop
 * and the CLI runners (codex, claude-code) all report turns, model text, commands with output and exit code, and tokens.
 */
export type TranscriptEvent =
  | {
      type: "task";
      repository: string;
      request: string;
      requestedBy: string;
      trigger: string;
      image: string;
      runner: string;
      internet: { setup: string; agent: string; allow: string[] };
    }
  | { type: "phase"; phase: string; state: "started" | "ended"; ms?: number }
  | { type: "environment"; cache: "hit" | "miss" | "off"; reason?: string; cacheAgeMs?: number }
  | { type: "output"; source: string; text: string }
  | AgentEvent
  | { type: "denied"; host: string; reason: string }
  | {
      type: "result";
      state: string;
      pullRequest?: { number: number; url: string };
      diffstat?: string;
      answer?: string;
      failure?: { phase: string; message: string };
    }
  | { type: "truncated"; limitBytes: number };

/**
 * What any agent runner reports while it works, as it happens: the builtin loop and the CLI runners (codex,
 * claude-code) alike. Every text field is already redacted when a runner reports it.
 */
export type AgentEvent =
  | { type: "turn"; turn: number; maxTurns?: number }
  | { type: "message"; turn: number; text: string }
  | { type: "command"; turn: number; command: string; output: string; exitCode: number; timedOut?: boolean }
  | { type: "tokens"; runner: string; promptTokens: number; completionTokens: number; totalTokens: number };

export type TranscriptEventType = TranscriptEvent["type"];

/** One stored event: its stream id (for Last-Event-ID) and when it was written. */
export interface TranscriptEntry {
  id: string;
  at: number;
  event: TranscriptEvent;
}

/** A state a task ends in; the page stops following the stream once such a result arrives. */
export function isEndEvent(event: TranscriptEvent): boolean {
  return event.type === "result";
}

/** Applies `redact` to every string inside an event, so no field (a command, a host, a PR title) can carry a secret. */
export function redactEvent(event: TranscriptEvent, redact: (text: string) => string): TranscriptEvent {
  return redactValue(event, redact) as TranscriptEvent;
}

function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item, redact)]));
  }
  return value;
}
