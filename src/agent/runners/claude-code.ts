import { parseJsonLine, record, text, type CliEvent, type CliRunner } from "./cli-runner.js";

/**
 * Claude Code (`claude -p --output-format stream-json --verbose`): permission prompts off, the gateway as its API
 * with the per-task credential as key, nonessential traffic (telemetry, error reports, update checks) off, few
 * retries, its config in the per-task state directory. It reads AGENTS.md itself unless the repository has a
 * CLAUDE.md (then it reads only that); for that case the caller passes the rendered AGENTS.md files, which go at the
 * end of its system prompt.
 */
export const claudeCodeRunner: CliRunner = {
  name: "claude-code",
  binary: "/opt/taskbox/agents/bin/claude",
  provider: "anthropic",
  invocation: (options) => ({
    env: {
      CLAUDE_CONFIG_DIR: options.stateDir,
      ANTHROPIC_BASE_URL: options.gatewayUrl,
      ANTHROPIC_API_KEY: options.credential,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_MAX_RETRIES: "2",
      ...(options.agentsMd && { TASKBOX_AGENTS_MD: options.agentsMd }),
    },
    args: [
      "-p",
      "$TASKBOX_PROMPT",
      "--output-format",
      "stream-json",
      "--verbose",
      "--dangerously-skip-permissions",
      "--no-session-persistence",
      "--model",
      options.model,
      ...(options.agentsMd ? ["--append-system-prompt", "$TASKBOX_AGENTS_MD"] : []),
    ],
  }),
  parseLine: (line) => {
    const event = parseJsonLine(line);
    return event ? claudeCodeEvents(event) : undefined;
  },
};

/** The messages of `--output-format stream-json`: assistant turns, tool results, and the closing result. */
export function claudeCodeEvents(event: Record<string, unknown>): CliEvent[] {
  if (event.type === "result") {
    const isError = event.is_error === true || event.subtype !== "success";
    const result = text(event.result) ?? (Array.isArray(event.errors) ? event.errors.map(String).join("\n") : "");
    return [{ kind: "final", text: result, isError }];
  }
  const content = record(event.message)?.content;
  if (!Array.isArray(content)) return [];
  const events: CliEvent[] = [];
  for (const block of content.map(record)) {
    if (event.type === "assistant" && block?.type === "tool_use") {
      const command = text(record(block.input)?.command);
      if (command !== undefined) events.push({ kind: "command", command });
    } else if (event.type === "assistant" && block?.type === "text") {
      events.push({ kind: "message", text: text(block.text) ?? "" });
    } else if (event.type === "user" && block?.type === "tool_result") {
      events.push({
        kind: "command_result",
        command: "",
        output: resultText(block.content),
        exitCode: block.is_error === true ? 1 : 0,
      });
    }
  }
  return events;
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => text(record(part)?.text) ?? "").join("");
}
