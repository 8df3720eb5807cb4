import { stopStrayProcesses } from "../sandbox/stop-stray-processes.js";
import type { Sandbox } from "../sandbox/types.js";
import { lastLines } from "../report/last-lines.js";
import { TaskFailure } from "./task-failure.js";

const SCRIPT_OUTPUT_BYTES = 1024 * 1024;
const LOG_TAIL_LINES = 40;
const ROOT_EXEC = { user: "root", timeoutMs: 30_000, maxOutputBytes: 16 * 1024 } as const;
const WORKSPACE_EXEC = { timeoutMs: 5 * 60_000, maxOutputBytes: 64 * 1024 } as const;

export interface ScriptOptions {
  /** The config's env and the secrets, for the script's process only. */
  env: Record<string, string>;
  timeoutMs: number;
  redact(text: string): string;
}

/** Runs a setup or maintenance script; returns its redacted log tail, or throws a TaskFailure of the setup phase. */
export async function runScript(
  sandbox: Sandbox,
  what: string,
  script: string,
  options: ScriptOptions,
): Promise<string> {
  const result = await sandbox.exec({
    command: script,
    // Secrets go to this one process only, never into the container's own environment.
    env: options.env,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: SCRIPT_OUTPUT_BYTES,
  });
  const output = lastLines(options.redact(result.output.toString("utf8")), LOG_TAIL_LINES);
  if (result.exitCode !== 0) {
    throw new TaskFailure(
      "setup",
      result.timedOut ? `${what} timed out` : `${what} exited with code ${result.exitCode}`,
      output,
    );
  }
  // What the script left running inherited its secrets, which /proc would show to the agent's commands.
  await stopStrayProcesses(sandbox);
  return output;
}

export async function rootExec(sandbox: Sandbox, command: string, what: string): Promise<void> {
  const result = await sandbox.exec({ command, ...ROOT_EXEC });
  if (result.exitCode !== 0)
    throw new TaskFailure("setup", `could not ${what} (exit code ${result.exitCode})`, result.output.toString("utf8"));
}

export async function workspaceExec(sandbox: Sandbox, command: string, what: string): Promise<void> {
  const result = await sandbox.exec({ command, ...WORKSPACE_EXEC });
  if (result.exitCode !== 0)
    throw new Error(`could not ${what} (exit code ${result.exitCode}): ${result.output.toString("utf8").trim()}`);
}
