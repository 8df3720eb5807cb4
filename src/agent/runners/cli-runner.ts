/** What a CLI runner reports from its JSON event stream, in order. */
export type CliEvent =
  | { kind: "command"; command: string }
  | { kind: "command_result"; command: string; output: string; exitCode: number | undefined }
  | { kind: "message"; text: string }
  /** The run's end as the CLI reports it; `text` is its final message, or its error. */
  | { kind: "final"; text: string; isError: boolean }
  | { kind: "error"; message: string };

/** One agent CLI: how to start it in the sandbox, and how to read its output. */
export interface CliRunner {
  /** The value of `agent.runner`. */
  name: "codex" | "claude-code";
  /** Absolute path inside the sandbox image (root-owned, outside what setup can change). */
  binary: string;
  /** Which upstream API family the CLI speaks through the gateway. */
  provider: "openai" | "anthropic";
  /**
   * The environment of the CLI's process (the gateway's URL and credential, its state directory, telemetry and
   * update checks off) and its arguments after the binary; the prompt travels in $TASKBOX_PROMPT.
   */
  invocation(options: CliInvocation): { env: Record<string, string>; args: string[] };
  /** Parses one line of the CLI's stdout; undefined for lines that are not its events. */
  parseLine(line: string): CliEvent[] | undefined;
}

export interface CliInvocation {
  model: string;
  /** http://<address>:<port> of the model gateway, as the sandbox reaches it. */
  gatewayUrl: string;
  credential: string;
  /** A per-task directory for the CLI's state (config, sessions, caches), removed after the run. */
  stateDir: string;
  workspace: string;
  /** The repository's AGENTS.md files rendered, when the CLI would not read them itself (else ""). */
  agentsMd: string;
}

/** A JSON object per line, or undefined. */
export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
