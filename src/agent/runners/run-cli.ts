import type { Logger } from "pino";
import { untilAborted } from "../until-aborted.js";
import type { CliEvent, CliInvocation, CliRunner } from "./cli-runner.js";

/** The sandbox's exec interface, as much of it as a runner needs. */
export type RunInSandbox = (request: {
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  onOutput: (chunk: Buffer) => void;
}) => Promise<{ exitCode: number; timedOut: boolean }>;

export interface RunCliOptions {
  runner: CliRunner;
  run: RunInSandbox;
  invocation: Omit<CliInvocation, "stateDir">;
  prompt: string;
  /** `environment.env` and whatever the network needs (NO_PROXY for the gateway). */
  env: Record<string, string>;
  timeoutMs: number;
  onEvent(event: CliEvent): void;
  /** Aborting rejects at once with the signal's reason; the caller removes the sandbox, which ends the CLI. */
  signal: AbortSignal;
  log: Logger;
}

export type CliResult =
  | { outcome: "completed"; summary: string }
  | { outcome: "missing" }
  | { outcome: "failed"; exitCode: number; timedOut: boolean; lastOutput: string };

/**
 * Outside /workspace and the home directory, so no state reaches the diff or the next task (the cached environment
 * was committed before the agent phase). Not under /tmp: Codex refuses to put its helper binaries under /tmp.
 */
const STATE_DIR = "/var/tmp/taskbox-agent-state";
const MISSING = "taskbox-runner-missing";
const TAIL_LINES = 30;
/** The CLI's stream is read as it arrives; the result keeps only a little of it. */
const RESULT_BYTES = 64 * 1024;

/** Runs one agent CLI in the sandbox to its end and reads its event stream. */
export async function runCli(options: RunCliOptions): Promise<CliResult> {
  const { runner } = options;
  const { env, args } = runner.invocation({ ...options.invocation, stateDir: STATE_DIR });
  const reader = new StreamReader(runner, options.onEvent);
  const run = options.run({
    command: cliScript(runner.binary, args),
    env: { ...options.env, ...env, TASKBOX_PROMPT: options.prompt },
    timeoutMs: options.timeoutMs,
    maxOutputBytes: RESULT_BYTES,
    onOutput: (chunk) => reader.write(chunk),
  });
  const { exitCode, timedOut } = await untilAborted(run, options.signal);
  reader.end();
  options.log.info({ runner: runner.name, exitCode, timedOut }, "agent runner exited");
  if (reader.tail.includes(MISSING)) return { outcome: "missing" };
  if (exitCode === 0 && !reader.failed) return { outcome: "completed", summary: reader.summary };
  return { outcome: "failed", exitCode, timedOut, lastOutput: reader.lastOutput() };
}

function cliScript(binary: string, args: string[]): string {
  const argv = [binary, ...args].map((arg) => (/^\$[A-Z_]+$/.test(arg) ? `"${arg}"` : shellQuote(arg))).join(" ");
  return [
    `[ -x ${shellQuote(binary)} ] || { echo ${MISSING}; exit 127; }`,
    `rm -rf ${STATE_DIR} && mkdir -m 700 ${STATE_DIR} || exit 125`,
    `${argv} < /dev/null`,
    "code=$?",
    `rm -rf ${STATE_DIR}`,
    'exit "$code"',
  ].join("\n");
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Splits the output into lines, turns the CLI's event lines into events, and keeps the rest's tail. */
class StreamReader {
  readonly #runner: CliRunner;
  readonly #onEvent: (event: CliEvent) => void;
  #pending = "";
  readonly #tail: string[] = [];
  readonly #errors: string[] = [];
  #lastMessage = "";
  #final: { text: string; isError: boolean } | undefined;

  constructor(runner: CliRunner, onEvent: (event: CliEvent) => void) {
    this.#runner = runner;
    this.#onEvent = onEvent;
  }

  get tail(): string {
    return this.#tail.join("\n");
  }

  get failed(): boolean {
    return this.#final?.isError ?? false;
  }

  get summary(): string {
    return this.#final?.text || this.#lastMessage;
  }

  write(chunk: Buffer): void {
    const lines = `${this.#pending}${chunk.toString("utf8")}`.split("\n");
    this.#pending = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  end(): void {
    if (this.#pending) this.#line(this.#pending);
    this.#pending = "";
  }

  /** What explains a failure: the CLI's own error, else its errors and the output that was not events. */
  lastOutput(): string {
    if (this.#final?.isError && this.#final.text) return this.#final.text;
    return [...this.#errors.slice(-5), ...this.#tail].join("\n").trim();
  }

  #line(line: string): void {
    const events = this.#runner.parseLine(line);
    if (!events) {
      if (line.trim()) this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      return;
    }
    for (const event of events) {
      if (event.kind === "message" && event.text.trim()) this.#lastMessage = event.text;
      if (event.kind === "error" && event.message) this.#errors.push(event.message);
      if (event.kind === "final") this.#final = event;
      this.#onEvent(event);
    }
  }
}
