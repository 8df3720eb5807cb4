import { existsSync } from "node:fs";
import { join } from "node:path";
import { collectAgentsMd, renderAgentsMd } from "../agent/agents-md.js";
import { buildRunnerBrief } from "../agent/prompt.js";
import type { CliEvent, CliRunner } from "../agent/runners/cli-runner.js";
import { runCli } from "../agent/runners/run-cli.js";
import type { GatewayExchange } from "../sandbox/model-gateway.js";
import type { ModelGateway } from "../sandbox/model-gateway-factory.js";
import { stopStrayProcesses } from "../sandbox/stop-stray-processes.js";
import type { Sandbox } from "../sandbox/types.js";
import { connectAgentNetwork } from "./agent-network.js";
import { buildTaskPromptFor } from "./follow-up-prompt.js";
import type { TaskScope } from "./task-scope.js";
import { lastLines } from "../report/last-lines.js";
import { TaskFailure } from "./task-failure.js";

const WORKSPACE = "/workspace";
const FAILURE_LINES = 30;

/** Runs an agent CLI in the sandbox, through the task's model gateway; returns its final message. */
export async function runCliAgent(scope: TaskScope, sandbox: Sandbox, runner: CliRunner): Promise<string> {
  const { job, status, updater, redactor } = scope;
  const { agent, environment, limits } = job.config;
  if (!scope.deps.modelGateways.providers.includes(runner.provider)) {
    throw new TaskFailure(
      "agent",
      `\`agent.runner\`: ${runner.name} needs ${runner.provider === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"} on the Taskbox server, which is not set`,
    );
  }
  let budgetSpent = false;
  let turns = 0;
  const gateway = await startGateway(scope, {
    onExchange: (exchange) => {
      scope.log.info({ exchange }, "model gateway exchange");
      if (exchange.refused) return;
      turns++;
      status.turn = turns;
      status.usage = gateway.usage();
      updater.update(status);
    },
    onBudgetSpent: () => {
      budgetSpent = true;
      scope.log.info({ maxTokens: agent.maxTokens }, "token budget spent; stopping the agent runner");
      // The CLI would otherwise carry on with refused requests (or retry them); ending its processes ends the exec.
      stopStrayProcesses(sandbox).catch((error: unknown) =>
        scope.log.warn({ err: error }, "could not stop the agent runner"),
      );
    },
  });
  const network = await connectAgentNetwork(scope, sandbox, gateway);
  status.state = "running";
  updater.update(status);

  const result = await runCli({
    runner,
    run: (request) => sandbox.exec(request),
    invocation: {
      model: agent.model,
      gatewayUrl: network.gatewayUrl!,
      credential: gateway.credential,
      workspace: WORKSPACE,
      agentsMd: await agentsMdFor(runner, scope.checkoutDir),
    },
    prompt: [buildTaskPromptFor(job, scope.followUp), buildRunnerBrief(job.config.internet.agent)].join("\n\n"),
    env: { ...environment.env, ...network.env },
    timeoutMs: limits.taskTimeoutMs,
    onEvent: (event) => showEvent(scope, event),
    signal: scope.signal,
    log: scope.log,
  });
  status.usage = gateway.usage();
  status.turn = turns;
  if (budgetSpent) {
    throw new TaskFailure("agent", `the agent used up its token budget (agent.max_tokens: ${agent.maxTokens})`);
  }
  if (result.outcome === "missing") {
    throw new TaskFailure(
      "agent",
      `\`agent.runner\`: ${runner.name} is not installed in the image \`${environment.image}\` (${runner.binary} is missing)`,
    );
  }
  if (result.outcome === "failed") {
    const how = result.timedOut ? "did not finish in time" : `exited with code ${result.exitCode}`;
    throw new TaskFailure(
      "agent",
      `the ${runner.name} runner ${how}`,
      lastLines(redactor.redact(result.lastOutput), FAILURE_LINES),
    );
  }
  return result.summary;
}

async function startGateway(
  scope: TaskScope,
  handlers: { onExchange(exchange: GatewayExchange): void; onBudgetSpent(): void },
): Promise<ModelGateway> {
  const starting = scope.deps.modelGateways.start({
    taskId: scope.job.taskId,
    maxTokens: scope.job.config.agent.maxTokens,
    hostedTools: scope.job.config.internet.agent === "unrestricted",
    redact: (text) => scope.redactor.redact(text),
    ...handlers,
  });
  // However the task ends, the gateway (and with it the credential) goes.
  scope.defer(async () => {
    const gateway = await starting.catch(() => undefined);
    await gateway?.stop();
  });
  return starting;
}

/** Codex always reads AGENTS.md; Claude Code reads it only where no CLAUDE.md is there to read instead. */
async function agentsMdFor(runner: CliRunner, checkoutDir: string): Promise<string> {
  if (runner.name !== "claude-code" || !existsSync(join(checkoutDir, "CLAUDE.md"))) return "";
  return renderAgentsMd(await collectAgentsMd(checkoutDir));
}

function showEvent(scope: TaskScope, event: CliEvent): void {
  if (event.kind !== "command") return;
  scope.status.lastCommand = event.command;
  scope.updater.update(scope.status);
}
