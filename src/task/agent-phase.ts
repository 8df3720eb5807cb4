import { buildSystemPrompt, buildTaskPrompt } from "../agent/prompt.js";
import { ModelApiError, runAgent } from "../agent/run-agent.js";
import { collectDiff, DiffTooLargeError } from "../sandbox/collect-diff.js";
import type { Sandbox } from "../sandbox/types.js";
import type { TaskScope } from "./run-task.js";
import { TaskFailure } from "./task-failure.js";

const WORKSPACE = "/workspace";
const COMMAND_OUTPUT_BYTES = 1024 * 1024;
const MAX_PATCH_BYTES = 20 * 1024 * 1024;

/** Runs the agent in the offline sandbox and returns its change as a binary-safe patch (empty: no change). */
export async function runAgentPhase(scope: TaskScope, sandbox: Sandbox, baseSha: string): Promise<Buffer> {
  const { job, deps, status, updater, redactor } = scope;
  const { agent, environment, limits } = job.config;
  status.state = "running";
  updater.update(status);

  let result;
  try {
    result = await runAgent({
      client: deps.model,
      model: agent.model,
      systemPrompt: buildSystemPrompt({ workspace: WORKSPACE, internet: "off" }),
      taskPrompt: buildTaskPrompt({
        repository: `${job.owner}/${job.repo}`,
        request: job.request,
        requestedBy: job.requestedBy,
        issue: job.issue,
      }),
      maxTurns: agent.maxTurns,
      maxTokens: agent.maxTokens,
      shell: (command) =>
        sandbox.exec({ command, env: environment.env, timeoutMs: limits.commandTimeoutMs, maxOutputBytes: COMMAND_OUTPUT_BYTES }),
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
    throw new TaskFailure("agent", `the agent did not finish within agent.max_turns (${agent.maxTurns})`, result.lastMessage);
  }
  if (result.outcome === "token_limit") {
    throw new TaskFailure("agent", `the agent used up its token budget (agent.max_tokens: ${agent.maxTokens})`, result.lastMessage);
  }
  status.summary = result.summary;

  try {
    return await collectDiff(sandbox, { baseSha, maxBytes: MAX_PATCH_BYTES });
  } catch (error) {
    if (error instanceof DiffTooLargeError) throw new TaskFailure("publish", error.message);
    throw error;
  }
}
