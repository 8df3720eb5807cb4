import { APIConnectionError, APIError, type OpenAI } from "openai";
import type {
  ChatCompletion,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from "openai/resources/chat/completions";
import type { Logger } from "pino";
import { formatShellResult, parseShellArguments, SHELL_TOOL, SHELL_TOOL_NAME, type ShellRun } from "./shell-tool.js";
import { addUsage, NO_USAGE, type TokenUsage } from "../report/token-usage.js";
import { untilAborted } from "./until-aborted.js";
import { conversationChars, elideOldToolOutputs } from "./context-budget.js";

export { SHELL_TOOL, type ShellRun };

export interface AgentProgress {
  turn: number;
  command?: string;
  usage: TokenUsage;
}

export interface RunAgentOptions {
  client: OpenAI;
  model: string;
  systemPrompt: string;
  taskPrompt: string;
  maxTurns: number;
  /** Token budget for the whole task: the sum of every response's total_tokens. */
  maxTokens: number;
  /** The conversation's budget: older tool outputs are elided as it nears this many tokens. */
  contextTokens: number;
  shell: (command: string) => Promise<ShellRun>;
  /** Applied to every tool result before it is sent to the model. */
  redact: (text: string) => string;
  /** Tool output beyond this many characters is cut in the middle. Default 16000. */
  maxToolOutputChars?: number;
  onProgress?: (progress: AgentProgress) => void;
  /** Aborting stops the loop promptly; runAgent then rejects with the signal's reason. */
  signal?: AbortSignal;
  log: Logger;
}

export type AgentResult =
  | { outcome: "completed"; summary: string; turns: number; usage: TokenUsage }
  | { outcome: "turn_limit"; turns: number; usage: TokenUsage; lastMessage: string }
  | { outcome: "token_limit"; turns: number; usage: TokenUsage; lastMessage: string };

export class ModelApiError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelApiError";
    this.status = status;
  }
}

const DEFAULT_MAX_TOOL_OUTPUT_CHARS = 16_000;

export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const { client, model, signal, log } = options;
  const maxToolOutputChars = options.maxToolOutputChars ?? DEFAULT_MAX_TOOL_OUTPUT_CHARS;
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: options.systemPrompt },
    { role: "user", content: options.taskPrompt },
  ];
  let usage = NO_USAGE;
  let lastMessage = "";
  let warnedMissingUsage = false;
  let measured: { promptTokens: number; chars: number } | undefined;

  for (let turn = 1; turn <= options.maxTurns; turn++) {
    signal?.throwIfAborted();
    const elided = elideOldToolOutputs(messages, { contextTokens: options.contextTokens, measured });
    if (elided > 0) log.info({ turn, elided }, "elided older tool outputs to stay within agent.context_tokens");
    const chars = conversationChars(messages);
    const completion = await requestCompletion(client, { model, messages }, signal);
    if (completion.usage) measured = { promptTokens: completion.usage.prompt_tokens, chars };
    if (!completion.usage && !warnedMissingUsage) {
      warnedMissingUsage = true;
      log.warn({ model }, "model API reports no token usage; the token budget cannot be enforced");
    }
    usage = addUsage(usage, usageOf(completion));
    const message = completion.choices[0]?.message;
    if (!message) throw new ModelApiError("model API error: the response contains no message", undefined);

    const content = message.content ?? message.refusal ?? "";
    if (content.trim() !== "") lastMessage = content;
    const toolCalls = message.tool_calls ?? [];
    log.info({ turn, toolCalls: toolCalls.length, totalTokens: usage.totalTokens }, "agent turn");

    if (toolCalls.length === 0) {
      reportProgress(options, { turn, usage });
      return { outcome: "completed", summary: content, turns: turn, usage };
    }
    if (usage.totalTokens >= options.maxTokens) {
      reportProgress(options, { turn, usage });
      return { outcome: "token_limit", turns: turn, usage, lastMessage };
    }

    messages.push({ role: "assistant", content: message.content, tool_calls: toolCalls });
    let lastCommand: string | undefined;
    for (const call of toolCalls) {
      const answer = await answerToolCall(call, options, maxToolOutputChars);
      lastCommand = answer.command ?? lastCommand;
      messages.push({ role: "tool", tool_call_id: call.id, content: answer.content });
    }
    reportProgress(options, { turn, command: lastCommand, usage });
  }
  return { outcome: "turn_limit", turns: options.maxTurns, usage, lastMessage };
}

async function requestCompletion(
  client: OpenAI,
  body: { model: string; messages: ChatCompletionMessageParam[] },
  signal: AbortSignal | undefined,
): Promise<ChatCompletion> {
  try {
    return await client.chat.completions.create({ ...body, tools: [SHELL_TOOL], tool_choice: "auto" }, { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toModelApiError(error);
  }
}

function toModelApiError(error: unknown): unknown {
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return new ModelApiError(`model API error (no response): ${error.message}${cause}`, undefined, { cause: error });
  }
  if (error instanceof APIError) {
    const detail = (error.error as { message?: unknown } | undefined)?.message;
    const message = typeof detail === "string" && detail !== "" ? detail : error.message;
    return new ModelApiError(
      `model API error (HTTP ${String(error.status)}): ${message}`,
      error.status as number | undefined,
      { cause: error },
    );
  }
  return error;
}

function usageOf(completion: ChatCompletion): TokenUsage {
  const reported = completion.usage;
  if (!reported) return NO_USAGE;
  return {
    promptTokens: reported.prompt_tokens,
    completionTokens: reported.completion_tokens,
    // Some OpenAI-compatible servers leave the total out.
    totalTokens: reported.total_tokens ?? reported.prompt_tokens + reported.completion_tokens,
  };
}

async function answerToolCall(
  call: ChatCompletionMessageToolCall,
  options: RunAgentOptions,
  maxToolOutputChars: number,
): Promise<{ content: string; command?: string }> {
  const name = call.type === "function" ? call.function.name : call.custom.name;
  if (call.type !== "function" || name !== SHELL_TOOL_NAME) {
    return { content: options.redact(`error: unknown tool "${name}". The only tool is "shell".`) };
  }
  const parsed = parseShellArguments(call.function.arguments);
  if ("error" in parsed) {
    options.log.warn({ toolCallId: call.id }, "model sent unusable shell arguments");
    return { content: options.redact(parsed.error) };
  }
  options.log.debug({ command: parsed.command }, "running agent command");
  // The shell cannot be interrupted from here; the caller tears the sandbox down after an abort.
  const run = await untilAborted(options.shell(parsed.command), options.signal);
  return { content: formatShellResult(run, options.redact, maxToolOutputChars), command: parsed.command };
}

function reportProgress(options: RunAgentOptions, progress: AgentProgress): void {
  try {
    options.onProgress?.(progress);
  } catch (error) {
    // Progress only feeds the status comment; a failure there must not end the task.
    options.log.warn({ err: error }, "progress callback failed");
  }
}
