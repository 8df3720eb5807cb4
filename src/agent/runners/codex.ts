import { parseJsonLine, record, text, type CliEvent, type CliRunner } from "./cli-runner.js";

/**
 * Codex CLI (`codex exec --json`): its own sandbox and approvals off (the Taskbox container is the sandbox), a model
 * provider of its own that points at the gateway with the per-task credential, plugins and analytics off (they call
 * github.com and chatgpt.com), no session files. Codex reads AGENTS.md itself.
 */
export const codexRunner: CliRunner = {
  name: "codex",
  binary: "/opt/taskbox/agents/bin/codex",
  provider: "openai",
  invocation: (options) => ({
    env: { CODEX_HOME: options.stateDir, TASKBOX_GATEWAY_KEY: options.credential },
    args: [
      "exec",
      "--json",
      "--dangerously-bypass-approvals-and-sandbox",
      "--ephemeral",
      "--skip-git-repo-check",
      "--color",
      "never",
      "-C",
      options.workspace,
      "-m",
      options.model,
      "--disable",
      "plugins",
      ...config({
        "analytics.enabled": "false",
        check_for_update_on_startup: "false",
        model_provider: '"taskbox"',
        "model_providers.taskbox.name": '"Taskbox gateway"',
        "model_providers.taskbox.base_url": JSON.stringify(`${options.gatewayUrl}/v1`),
        "model_providers.taskbox.env_key": '"TASKBOX_GATEWAY_KEY"',
        "model_providers.taskbox.wire_api": '"responses"',
      }),
      "$TASKBOX_PROMPT",
    ],
  }),
  parseLine: (line) => {
    const event = parseJsonLine(line);
    return event ? codexEvents(event) : undefined;
  },
};

function config(values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => ["-c", `${key}=${value}`]);
}

/** thread/turn/item events of `codex exec --json`. */
export function codexEvents(event: Record<string, unknown>): CliEvent[] {
  const item = record(event.item);
  if (event.type === "item.started" && item?.type === "command_execution") {
    return [{ kind: "command", command: text(item.command) ?? "" }];
  }
  if (event.type === "item.completed" && item?.type === "command_execution") {
    const exitCode = typeof item.exit_code === "number" ? item.exit_code : undefined;
    return [
      {
        kind: "command_result",
        command: text(item.command) ?? "",
        output: text(item.aggregated_output) ?? "",
        exitCode,
      },
    ];
  }
  if (event.type === "item.completed" && item?.type === "agent_message") {
    return [{ kind: "message", text: text(item.text) ?? "" }];
  }
  if (event.type === "item.completed" && item?.type === "error") {
    return [{ kind: "error", message: text(item.message) ?? "" }];
  }
  if (event.type === "turn.failed") {
    return [{ kind: "final", text: text(record(event.error)?.message) ?? "the turn failed", isError: true }];
  }
  if (event.type === "error") return [{ kind: "error", message: text(event.message) ?? "" }];
  return [];
}
