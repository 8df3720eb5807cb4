import type { Duplex, Readable } from "node:stream";
import type Docker from "dockerode";
import { ExecOutput } from "./exec-output.js";
import type { ExecRequest, ExecResult } from "./types.js";

/**
 * Root commands resolve tools only through directories that root owns in the sandbox image: the image's own PATH starts
 * with runtime directories that belong to the sandbox user, where a setup script could plant a `cat` for root to run.
 */
export const ROOT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const TIMEOUT = "/usr/bin/timeout";
const BASH = "/bin/bash";

/** How long coreutils `timeout` waits after SIGTERM before it sends SIGKILL. */
const KILL_AFTER_SECONDS = 5;
/** Extra wait on the host beyond timeout+kill-after before giving up on a stream that never ends. */
const HOST_GUARD_GRACE_MS = 5_000;
/** Exit codes of coreutils `timeout` when it had to stop the command: after TERM, after KILL. */
const TERMINATED_EXIT_CODE = 124;
const KILLED_EXIT_CODE = 137;

/**
 * Runs one command inside a running container. The timeout is enforced inside the container by coreutils
 * `timeout`, which signals the command's whole process group, so background children die with it; the
 * command travels as its own argv element, so no quoting is involved. Per round trip this makes exactly
 * the calls a plain `docker exec` makes: create, start (streamed), inspect.
 */
export async function execInContainer(
  container: Docker.Container,
  request: ExecRequest,
  baseEnv: Record<string, string>,
): Promise<ExecResult> {
  const started = performance.now();
  const user = request.user ?? "taskbox";
  // Root gets no login shell either: /etc/profile.d and the package profile put the sandbox user's directories first.
  const env = user === "root" ? { ...baseEnv, ...request.env, PATH: ROOT_PATH } : { ...baseEnv, ...request.env };
  const shell = user === "root" ? [BASH, "--noprofile", "--norc", "-c"] : [BASH, "-lc"];
  // `timeout 0s` would mean no timeout at all.
  const seconds = Math.max(request.timeoutMs, 1) / 1000;
  const exec = await container.exec({
    Cmd: [TIMEOUT, `--kill-after=${KILL_AFTER_SECONDS}s`, `${seconds}s`, ...shell, request.command],
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    User: user,
    WorkingDir: "/workspace",
    AttachStdin: request.input !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: request.input !== undefined });
  if (request.input) send(request.input, stream);
  const output = new ExecOutput(request.maxOutputBytes, request.onOutput);
  const guardMs = request.timeoutMs + KILL_AFTER_SECONDS * 1000 + HOST_GUARD_GRACE_MS;
  const streamEnded = await readUntilEnd(stream, output, guardMs);
  const exitCode = streamEnded ? await exitCodeOf(exec) : null;
  const durationMs = performance.now() - started;
  // A command may itself exit 124/137 (e.g. killed for memory), so that only counts as a timeout once the time is up.
  const stoppedByTimeout =
    (exitCode === TERMINATED_EXIT_CODE || exitCode === KILLED_EXIT_CODE) && durationMs >= request.timeoutMs;
  return {
    ...output.result(),
    exitCode: exitCode ?? TERMINATED_EXIT_CODE,
    timedOut: exitCode === null || stoppedByTimeout,
    durationMs,
  };
}

/**
 * Ending the hijacked socket's writable side closes the command's stdin; a failed input closes the whole stream, so
 * the command sees its input cut short.
 */
function send(input: Readable, stream: Duplex): void {
  input.once("error", () => stream.destroy());
  input.pipe(stream);
}

/** Resolves false when the host-side guard had to cut a stream that did not end on its own. */
function readUntilEnd(stream: Duplex, output: ExecOutput, guardMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      stream.destroy();
      resolve(false);
    }, guardMs);
    const finish = (error?: Error) => {
      clearTimeout(guard);
      stream.destroy();
      if (error) reject(error);
      else resolve(true);
    };
    stream.on("data", (chunk: Buffer) => output.write(chunk));
    stream.once("end", () => finish());
    stream.once("close", () => finish());
    stream.once("error", finish);
  });
}

/** Docker records the exit code a moment after the stream ends at times; null if it never shows up. */
export async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return null;
}
