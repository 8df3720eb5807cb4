import type { ExecRequest, ExecResult, Sandbox } from "./types.js";

/**
 * Runs as the sandbox user, which owns every process that scripts and commands left behind, and uses shell builtins
 * only inside the loops, so it never forks a child that it would then have to spare (nor needs a free pid to). Spared: PID 1, the container's
 * main process (the oldest child of an init at PID 1), this script and the `timeout` that runs it. Processes that
 * fork while being killed are caught by the next pass.
 */
const SCRIPT = `
read -r init_comm < /proc/1/comm
main=""
main_start=""
if [ "$init_comm" = docker-init ] || [ "$init_comm" = tini ]; then
  for stat in /proc/[0-9]*/stat; do
    read -r line < "$stat" 2>/dev/null || continue
    set -- \${line##*) }
    if [ "$2" = 1 ] && { [ -z "$main_start" ] || [ "\${20}" -lt "$main_start" ]; }; then
      main=\${stat#/proc/}; main=\${main%/stat}; main_start=\${20}
    fi
  done
fi
# A process that got SIGKILL can still be listed for a moment, and a zombie until init reaps it: each counts once.
declare -A signalled
killed=0
for pass in 1 2 3 4 5 6 7 8 9 10; do
  found=0
  for stat in /proc/[0-9]*/stat; do
    pid=\${stat#/proc/}; pid=\${pid%/stat}
    case "$pid" in 1|"$main"|"$$"|"$PPID") continue ;; esac
    [ -n "\${signalled[$pid]:-}" ] && continue
    read -r line < "$stat" 2>/dev/null || continue
    set -- \${line##*) }
    [ "$1" = Z ] && continue
    if kill -KILL "$pid" 2>/dev/null; then signalled[$pid]=1; found=1; killed=$((killed + 1)); fi
  done
  [ "$found" = 0 ] && break
done
echo "$killed"
`;

const STOP_TIMEOUT_MS = 30_000;
const RECLAIM_ATTEMPTS = 10;
const RECLAIM_PAUSE_MS = 500;
/** What bash, coreutils and runc print when no new process can start: the pids limit is used up. */
export const NO_PROCESSES_LEFT =
  /fork(?: system call failed|: retry)?: Resource temporarily unavailable|can't fork|cannot fork/i;

/**
 * Ends every process left running in the sandbox besides its init and main process: servers, watchers, anything in
 * the background, a fork bomb. Returns how many processes were killed.
 */
export async function stopStrayProcesses(sandbox: Sandbox): Promise<number> {
  const result = await sandbox.exec({ command: SCRIPT, timeoutMs: STOP_TIMEOUT_MS, maxOutputBytes: 4096 });
  const killed = Number.parseInt(result.output.toString("utf8").trim().split("\n").at(-1) ?? "", 10);
  if (result.exitCode !== 0 || !Number.isInteger(killed)) {
    throw new Error(
      `could not stop the processes left running in the sandbox (exit code ${result.exitCode}): ${result.output.toString("utf8").slice(-500)}`,
    );
  }
  return killed;
}

/**
 * Runs an agent command. When it shows that the sandbox ran out of processes (a fork bomb, or jobs left in the
 * background until the pids limit was used up), every stray process is stopped, so that the next command can run,
 * and the output tells the model what happened. Stopping them takes a few tries while a fork bomb is still forking.
 */
export async function execReclaimingProcesses(sandbox: Sandbox, request: ExecRequest): Promise<ExecResult> {
  const result = await sandbox.exec(request);
  if (!NO_PROCESSES_LEFT.test(result.output.toString("utf8"))) return result;
  for (let attempt = 1; attempt <= RECLAIM_ATTEMPTS; attempt++) {
    const killed = await stopStrayProcesses(sandbox).catch(() => undefined);
    if (killed !== undefined) {
      const note = `\n[Taskbox: the sandbox reached its process limit, so it stopped the ${killed} processes that were still running.]\n`;
      return { ...result, output: Buffer.concat([result.output, Buffer.from(note, "utf8")]) };
    }
    await new Promise((resolve) => setTimeout(resolve, RECLAIM_PAUSE_MS));
  }
  return result;
}
