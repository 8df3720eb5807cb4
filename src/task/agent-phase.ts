import { collectAgentsMd, renderAgentsMd } from "../agent/agents-md.js";
import { buildSystemPrompt } from "../agent/prompt.js";
import { ModelApiError, runAgent } from "../agent/run-agent.js";
import { claudeCodeRunner } from "../agent/runners/claude-code.js";
import type { CliRunner } from "../agent/runners/cli-runner.js";
import { codexRunner } from "../agent/runners/codex.js";
import { collectDiff, DiffTooLargeError } from "../sandbox/collect-diff.js";
import { execReclaimingProcesses } from "../sandbox/stop-stray-processes.js";
import type { Sandbox } from "../sandbox/types.js";
import type { AgentRunner } from "../config/schema.js";
import type { TaskScope } from "./task-scope.js";
import { TaskFailure } from "./task-failure.js";
import { connectAgentNetwork } from "./agent-network.js";
import { runCliAgent } from "./cli-agent-phase.js";
import { buildTaskPromptFor } from "./follow-up-prompt.js";

const WORKSPACE = "/workspace";
const COMMAND_OUTPUT_BYTES = 1024 * 1024;
const MAX_PATCH_BYTES = 20 * 1024 * 1024;

const CLI_RUNNERS: Record<Exclude<AgentRunner, "builtin">, CliRunner> = {
  codex: codexRunner,
  "claude-code": claudeCodeRunner,
};

/** Runs the agent (`agent.runner`) on the network `internet.agent` allows, and returns its change as a binary-safe patch (empty: no change). */
export async function runAgentPhase(scope: TaskScope, sandbox: Sandbox, baseSha: string): Promise<Buffer> {
  // A job queued before agent.runner existed has none: builtin, as it was then.
  const cli = (CLI_RUNNERS as Partial<Record<string, CliRunner>>)[scope.job.config.agent.runner];
  scope.status.summary = cli ? await runCliAgent(scope, sandbox, cli) : await runBuiltinAgent(scope, sandbox);
  try {
    return await collectDiff(sandbox, { baseSha, maxBytes: MAX_PATCH_BYTES });
  } catch (error) {
    if (error instanceof DiffTooLargeError) throw new TaskFailure("publish", error.message);
    throw error;
  }
}

/** Taskbox's own loop: on the host, with the sandbox as its shell. Returns its final message. */
async function runBuiltinAgent(scope: TaskScope, sandbox: Sandbox): Promise<string> {
  const { job, deps, status, updater, redactor } = scope;
  const { agent, environment, limits } = job.config;
  await connectAgentNetwork(scope, sandbox); // internet.agent
  status.state = "running";
  updater.update(status);

  let result;
  try {
    result = await runAgent({
      client: deps.model,
      model: agent.model,
      systemPrompt: buildSystemPrompt({ workspace: WORKSPACE, internet: job.config.internet.agent }),
      taskPrompt: [buildTaskPromptFor(job, scope.followUp), renderAgentsMd(await collectAgentsMd(scope.checkoutDir))]
        .filter(Boolean)
        .join("\n\n"),
      maxTurns: agent.maxTurns,
      maxTokens: agent.maxTokens,
      contextTokens: agent.contextTokens,
      shell: (command) =>
        execReclaimingProcesses(sandbox, {
          command,
          env: environment.env,
          timeoutMs: limits.commandTimeoutMs,
          maxOutputBytes: COMMAND_OUTPUT_BYTES,
        }),
      redact: (text) => redactor.redact(text),
      onProgress: (progress) => {
        status.turn = progress.turn;
        status.lastCommand = progress.command;
        status.usage = progress.usage;
        updater.update(status);
      },
      signal: scope.signal,
      log: scope.log,
    });
  } catch (error) {
    if (error instanceof ModelApiError) throw new TaskFailure("agent", error.message);
    throw error;
  }
  status.usage = result.usage;
  status.turn = result.turns;
  if (result.outcome === "turn_limit") {
    throw new TaskFailure(
      "agent",
      `the agent did not finish within agent.max_turns (${agent.maxTurns})`,
      result.lastMessage,
    );
  }
  if (result.outcome === "token_limit") {
    throw new TaskFailure(
      "agent",
      `the agent used up its token budget (agent.max_tokens: ${agent.maxTokens})`,
      result.lastMessage,
    );
  }
  return result.summary;
}
