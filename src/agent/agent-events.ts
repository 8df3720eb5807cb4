/**
 * What any agent runner reports while it works, as it happens: the builtin loop and the CLI runners (codex,
 * claude-code) alike. Every text field is already redacted when a runner reports it.
 */
export type AgentEvent =
  | { type: "turn"; turn: number; maxTurns?: number }
  | { type: "message"; turn: number; text: string }
  | { type: "command"; turn: number; command: string; output: string; exitCode: number; timedOut?: boolean }
  | { type: "tokens"; runner: string; promptTokens: number; completionTokens: number; totalTokens: number };
