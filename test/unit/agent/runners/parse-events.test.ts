import { describe, expect, it } from "vitest";
import { claudeCodeRunner } from "../../../../src/agent/runners/claude-code.js";
import { codexRunner } from "../../../../src/agent/runners/codex.js";

const lines = (...events: object[]) => events.map((event) => JSON.stringify(event));

describe("codex exec --json events", () => {
  it("reads commands with their output and exit code, messages and a failed turn", () => {
    const events = lines(
      { type: "thread.started", thread_id: "t" },
      { type: "item.started", item: { type: "command_execution", command: "/bin/bash -lc ls", status: "in_progress" } },
      {
        type: "item.completed",
        item: { type: "command_execution", command: "/bin/bash -lc ls", aggregated_output: "a\n", exit_code: 2 },
      },
      { type: "item.completed", item: { type: "agent_message", text: "Done." } },
      { type: "turn.failed", error: { message: "stream disconnected" } },
    ).flatMap((line) => codexRunner.parseLine(line) ?? []);
    expect(events).toStrictEqual([
      { kind: "command", command: "/bin/bash -lc ls" },
      { kind: "command_result", command: "/bin/bash -lc ls", output: "a\n", exitCode: 2 },
      { kind: "message", text: "Done." },
      { kind: "final", text: "stream disconnected", isError: true },
    ]);
  });

  it("leaves lines that are not its events to the failure report", () => {
    expect(codexRunner.parseLine("WARNING: proceeding")).toBeUndefined();
  });
});

describe("claude -p --output-format stream-json messages", () => {
  it("reads Bash calls, their results, text and the final result", () => {
    const events = lines(
      { type: "system", subtype: "init", tools: ["Bash"] },
      {
        type: "assistant",
        message: {
          content: [
            { type: "text", text: "Looking." },
            { type: "tool_use", name: "Bash", input: { command: "ls" } },
          ],
        },
      },
      { type: "user", message: { content: [{ type: "tool_result", content: "a.txt", is_error: false }] } },
      { type: "result", subtype: "success", is_error: false, result: "All done." },
    ).flatMap((line) => claudeCodeRunner.parseLine(line) ?? []);
    expect(events).toStrictEqual([
      { kind: "message", text: "Looking." },
      { kind: "command", command: "ls" },
      { kind: "command_result", command: "", output: "a.txt", exitCode: 0 },
      { kind: "final", text: "All done.", isError: false },
    ]);
  });

  it("reports an error result as a failure", () => {
    const [event] = claudeCodeRunner.parseLine(
      JSON.stringify({ type: "result", subtype: "success", is_error: true, result: "API Error: 400 boom" }),
    )!;
    expect(event).toStrictEqual({ kind: "final", text: "API Error: 400 boom", isError: true });
  });
});

describe("runner invocations", () => {
  const invocation = {
    model: "gpt-x",
    gatewayUrl: "http://10.0.0.2:4000",
    credential: "cred",
    stateDir: "/var/tmp/state",
    workspace: "/workspace",
    agentsMd: "",
  };

  it("points Codex at the gateway with the credential, its sandbox and plugins off", () => {
    const { env, args } = codexRunner.invocation(invocation);
    expect(env).toStrictEqual({ CODEX_HOME: "/var/tmp/state", TASKBOX_GATEWAY_KEY: "cred" });
    expect(args).toContain("--dangerously-bypass-approvals-and-sandbox");
    expect(args).toContain('model_providers.taskbox.base_url="http://10.0.0.2:4000/v1"');
    expect(args).toContain("analytics.enabled=false");
    expect(args.at(-1)).toBe("$TASKBOX_PROMPT");
  });

  it("points Claude Code at the gateway and appends AGENTS.md only when given", () => {
    const plain = claudeCodeRunner.invocation(invocation);
    expect(plain.env).toMatchObject({
      ANTHROPIC_BASE_URL: "http://10.0.0.2:4000",
      ANTHROPIC_API_KEY: "cred",
      CLAUDE_CONFIG_DIR: "/var/tmp/state",
    });
    expect(plain.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toBe("1");
    expect(plain.args).not.toContain("--append-system-prompt");
    const withAgentsMd = claudeCodeRunner.invocation({ ...invocation, agentsMd: "## Project instructions" });
    expect(withAgentsMd.args.slice(-2)).toStrictEqual(["--append-system-prompt", "$TASKBOX_AGENTS_MD"]);
    expect(withAgentsMd.env.TASKBOX_AGENTS_MD).toBe("## Project instructions");
  });
});
