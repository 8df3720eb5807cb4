import { NO_PROCESSES_LEFT } from "./stop-stray-processes.js";

/**
 * Node's socket errors when the Docker engine is not listening or went away mid-call, and Docker's answers about
 * a container or exec that an engine restart (or a stop from outside) ended.
 */
const SANDBOX_GONE =
  /\b(?:connect (?:ECONNREFUSED|ENOENT)|read ECONNRESET|write EPIPE)\b|socket hang up|no such exec instance|no such container|is not running|is restarting/i;

/**
 * A message the maintainer can act on when an error comes from the sandbox itself rather than from the task: the
 * Docker engine stopped or restarted (which stops every container unless live-restore is on) or the container was
 * stopped from outside; or commands left so many processes running (a fork bomb, runaway background jobs) that no
 * new process could start. undefined for any other error.
 */
export function describeSandboxFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const detail = error.message.trim();
  if (SANDBOX_GONE.test(detail)) {
    return (
      "the sandbox stopped working: the Docker engine was unreachable or restarted while the task ran, or its " +
      `container was stopped (${detail}). Comment again to run the task once more.`
    );
  }
  if (NO_PROCESSES_LEFT.test(detail)) {
    return (
      "the sandbox reached its process limit (TASKBOX_SANDBOX_PIDS): commands left so many processes running (a fork " +
      `bomb, or jobs started in the background) that no new process could start (${detail})`
    );
  }
  return undefined;
}
