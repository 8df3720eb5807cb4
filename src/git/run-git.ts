import { spawn } from "node:child_process";
import { lastLines } from "../report/last-lines.js";

const REDACTED = "***";
const STDERR_TAIL_LINES = 10;
// git asks for a username only after the server refused the Authorization header we sent.
const AUTH_FAILURE = /could not read Username|Authentication failed|HTTP 40[13]|returned error: 40[13]/i;

/** A git command exited non-zero; the message carries the end of its stderr with the token removed. */
export class GitError extends Error {
  readonly exitCode: number | null;
  readonly stderrTail: string;

  constructor(options: { subcommand: string; exitCode: number | null; stderr: string; secrets?: readonly string[] }) {
    const tail = redact(lastLines(options.stderr, STDERR_TAIL_LINES), options.secrets ?? []);
    const hint = AUTH_FAILURE.test(tail)
      ? "\nThe remote rejected the credentials: the token is wrong, expired or has no access to this repository."
      : "";
    super(`git ${options.subcommand} failed: ${tail || `exit code ${options.exitCode}`}${hint}`);
    this.name = "GitError";
    this.exitCode = options.exitCode;
    this.stderrTail = tail;
  }
}

export interface RunGitOptions {
  cwd: string;
  /** Installation token; sent only as an HTTP header through the environment. */
  token?: string;
  input?: Buffer;
  env?: Record<string, string>;
  /** Stops git (SIGTERM) when aborted. */
  signal?: AbortSignal;
}

/**
 * Runs git on the host, isolated from the machine's git setup: no system or global config, no hooks, no prompts.
 * The token travels as `http.extraHeader` in GIT_CONFIG_* variables, so it never reaches argv, a URL, .git/config or a log.
 */
export async function runGit(args: string[], options: RunGitOptions): Promise<{ stdout: Buffer; stderr: string }> {
  const secrets = options.token ? tokenForms(options.token) : [];
  const config: [string, string][] = [["core.hooksPath", "/dev/null"]];
  if (options.token) config.push(["http.extraHeader", `Authorization: Basic ${basicCredentials(options.token)}`]);

  const env: NodeJS.ProcessEnv = { ...inheritedEnv(), ...options.env };
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_CONFIG_NOSYSTEM = "1";
  env.GIT_CONFIG_GLOBAL = "/dev/null";
  env.LC_ALL = "C"; // stable English messages, which callers match on
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });

  const subcommand = subcommandOf(args);
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: options.cwd, env, stdio: "pipe", signal: options.signal });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => reject(new GitError({ subcommand, exitCode: null, stderr: error.message, secrets })));
    child.on("close", (code) => {
      const stderrText = Buffer.concat(stderr).toString("utf8");
      if (code === 0) resolve({ stdout: Buffer.concat(stdout), stderr: redact(stderrText, secrets) });
      else reject(new GitError({ subcommand, exitCode: code, stderr: stderrText, secrets }));
    });
    // git may exit before reading all input (e.g. on a bad patch); its exit code tells the story, not EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input);
  });
}

function basicCredentials(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}

function tokenForms(token: string): string[] {
  return [token, basicCredentials(token)];
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.filter((secret) => secret.length > 0).reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

// Variables like GIT_DIR or GIT_CONFIG_PARAMETERS from the parent process would silently change what git does.
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("GIT_") && name !== "SSH_ASKPASS"),
  );
}

function subcommandOf(args: readonly string[]): string {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "-c" || arg === "-C") index++;
    else if (!arg.startsWith("-")) return arg;
  }
  return args[0] ?? "";
}
