import { collectAgentsMd, renderAgentsMd } from "../agent/agents-md.js";
import { buildSystemPrompt } from "../agent/prompt.js";
import { ModelApiError, runAgent } from "../agent/run-agent.js";
import type { TokenUsage } from "../report/token-usage.js";
import { collectDiff, DiffTooLargeError } from "../sandbox/collect-diff.js";
import { execReclaimingProcesses } from "../sandbox/stop-stray-processes.js";
import type { Sandbox } from "../sandbox/types.js";
import type { TaskScope } from "./task-scope.js";
import { TaskFailure } from "./task-failure.js";
import { startAgentNetwork } from "./agent-network.js";
import { buildTaskPromptFor } from "./follow-up-prompt.js";
import { metrics } from "../metrics/metrics.js";
import { BUILTIN_RUNNER } from "./task-transcript.js";

const WORKSPACE = "/workspace";
const COMMAND_OUTPUT_BYTES = 1024 * 1024;
const MAX_PATCH_BYTES = 20 * 1024 * 1024;

function recordTokens(scope: TaskScope, usage: TokenUsage): void {
  scope.transcript.append({ type: "tokens", runner: BUILTIN_RUNNER, ...usage });
  metrics.modelTokens.inc({ runner: BUILTIN_RUNNER, kind: "prompt" }, usage.promptTokens);
  metrics.modelTokens.inc({ runner: BUILTIN_RUNNER, kind: "completion" }, usage.completionTokens);
}

/** Runs the agent in the sandbox, on the network `internet.agent` allows, and returns its change as a binary-safe patch (empty: no change). */
export async function runAgentPhase(scope: TaskScope, sandbox: Sandbox, baseSha: string): Promise<Buffer> {
  const { job, deps, status, updater, redactor } = scope;
  const { agent, environment, limits } = job.config;
  await sandbox.setNetwork(await startAgentNetwork(scope)); // internet.agent
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
      onEvent: (event) => scope.transcript.append(event),
      signal: scope.signal,
      log: scope.log,
    });
  } catch (error) {
    if (error instanceof ModelApiError) throw new TaskFailure("agent", error.message);
    throw error;
  }
  status.usage = result.usage;
  status.turn = result.turns;
  recordTokens(scope, result.usage);
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
  status.summary = result.summary;

  try {
    return await collectDiff(sandbox, { baseSha, maxBytes: MAX_PATCH_BYTES });
  } catch (error) {
    if (error instanceof DiffTooLargeError) throw new TaskFailure("publish", error.message);
    throw error;
  }
}
