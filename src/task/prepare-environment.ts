import type { Sandbox } from "../sandbox/types.js";
import type { TaskScope } from "./run-task.js";
import { TaskFailure, lastLines } from "./task-failure.js";

const SETUP_OUTPUT_BYTES = 1024 * 1024;
const LOG_TAIL_LINES = 40;

/**
 * Creates the task's sandbox with the checkout in /workspace, runs the setup script with internet, env and
 * secrets, and leaves the sandbox offline for the agent.
 */
export async function prepareEnvironment(scope: TaskScope, secrets: Record<string, string>): Promise<Sandbox> {
  const { job, deps } = scope;
  const { environment, limits } = job.config;
  const sandbox = await deps.sandboxes.create({
    taskId: job.taskId,
    image: environment.image,
    labels: { "taskbox.repo": `${job.owner}/${job.repo}` },
    limits: deps.settings.sandboxLimits,
    network: environment.setup !== undefined,
    caBundlePath: deps.settings.caBundlePath,
  });
  scope.defer(() => sandbox.remove());
  // Registered before anything slow, so a cancel or timeout kills the container and its running commands.
  scope.signal.addEventListener("abort", () => void sandbox.remove(), { once: true });
  await sandbox.copyIn(scope.checkoutDir);
  if (environment.setup !== undefined) {
    const result = await sandbox.exec({
      command: environment.setup,
      // Secrets go to this one process only, never into the container's own environment.
      env: { ...environment.env, ...secrets },
      timeoutMs: limits.taskTimeoutMs,
      maxOutputBytes: SETUP_OUTPUT_BYTES,
    });
    if (result.exitCode !== 0) {
      const output = scope.redactor.redact(result.output.toString("utf8"));
      const what = result.timedOut ? "the setup script timed out" : `the setup script exited with code ${result.exitCode}`;
      throw new TaskFailure("setup", what, lastLines(output, LOG_TAIL_LINES));
    }
    await sandbox.disconnectNetwork();
  }
  return sandbox;
}
