import type { ChatCompletionTool } from "openai/resources/chat/completions";

export interface ShellRun {
  exitCode: number;
  output: Buffer;
  /** Bytes the sandbox already dropped from the output before returning it. */
  omittedBytes: number;
  timedOut: boolean;
}

export const SHELL_TOOL_NAME = "shell";

export const SHELL_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: SHELL_TOOL_NAME,
    description:
      "Run a command with `bash -lc` in the workspace (the repository checkout). Each call is a new process, so " +
      "`cd` and exported variables do not carry over. Returns the exit code and the combined stdout and stderr; " +
      "long output is cut in the middle. No terminal, no stdin.",
    parameters: {
      type: "object",
      properties: { command: { type: "string", description: "The bash command line to run." } },
      required: ["command"],
      additionalProperties: false,
    },
  },
};

/** The command of a `shell` call, or the reason the call is unusable, worded for the model. */
export function parseShellArguments(rawArguments: string): { command: string } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawArguments);
  } catch {
    return { error: 'error: the tool arguments are not valid JSON. Call shell with {"command": "<bash command>"}.' };
  }
  const command = (parsed as { command?: unknown } | null)?.command;
  if (typeof command !== "string" || command.trim() === "") {
    return { error: 'error: "command" must be a non-empty string. Call shell with {"command": "<bash command>"}.' };
  }
  return { command };
}

/**
 * The tool message for a finished command. Redaction runs before anything is cut, so a secret straddling
 * the cut cannot survive as an unrecognisable fragment.
 */
export function formatShellResult(run: ShellRun, redact: (text: string) => string, maxChars: number): string {
  const status = run.timedOut
    ? `exit code: ${run.exitCode} (timed out: the command ran too long and was stopped)`
    : `exit code: ${run.exitCode}`;
  const output = shellOutputText(run, redact, maxChars);
  return output === "" ? `${status}\n(no output)` : `${status}\n${output}`;
}

/** A command's output as the model sees it: redacted, then cut in the middle to at most maxChars. */
export function shellOutputText(run: ShellRun, redact: (text: string) => string, maxChars: number): string {
  return keepHeadAndTail(splitOutput(run, redact), maxChars);
}

interface SplitOutput {
  head: string;
  tail: string;
  /** Bytes already missing between head and tail. */
  gapBytes: number;
}

function splitOutput(run: ShellRun, redact: (text: string) => string): SplitOutput {
  if (run.omittedBytes > 0) {
    // The sandbox keeps the first and the last half of its byte cap, so its gap is at the buffer's middle.
    const middle = Math.floor(run.output.length / 2);
    return {
      head: redact(run.output.subarray(0, middle).toString("utf8")),
      tail: redact(run.output.subarray(middle).toString("utf8")),
      gapBytes: run.omittedBytes,
    };
  }
  const text = redact(run.output.toString("utf8"));
  let middle = Math.floor(text.length / 2);
  if (isHighSurrogate(text.charCodeAt(middle - 1))) middle += 1;
  return { head: text.slice(0, middle), tail: text.slice(middle), gapBytes: 0 };
}

/**
 * At most maxChars of output (plus the marker): the start of head and the end of tail, because both what ran
 * and how it ended (the error, the test summary) matter. The marker counts every byte missing in between.
 */
export function keepHeadAndTail({ head, tail, gapBytes }: SplitOutput, maxChars: number): string {
  const half = Math.floor(maxChars / 2);
  const tailChars = Math.min(tail.length, maxChars - Math.min(head.length, half));
  let headEnd = Math.min(head.length, maxChars - tailChars);
  let tailStart = tail.length - tailChars;
  // Never split a surrogate pair: half an emoji would reach the model as U+FFFD.
  if (headEnd < head.length && isHighSurrogate(head.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (tailStart > 0 && isLowSurrogate(tail.charCodeAt(tailStart))) tailStart += 1;
  const omitted =
    Buffer.byteLength(head.slice(headEnd), "utf8") + gapBytes + Buffer.byteLength(tail.slice(0, tailStart), "utf8");
  if (omitted === 0) return head + tail;
  return `${head.slice(0, headEnd)}\n[... ${omitted} bytes omitted ...]\n${tail.slice(tailStart)}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
