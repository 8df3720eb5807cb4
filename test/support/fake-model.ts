import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { messagesAsChat, streamMessagesReply } from "./fake-messages-api.js";
import { responsesAsChat, streamResponsesReply } from "./fake-responses-api.js";

/** A request body as the fake received it (parsed JSON). */
export type ChatRequestBody = ChatCompletionCreateParamsNonStreaming;

/** "omitted": the answer has no `usage` at all, as some OpenAI-compatible servers send it. */
type ScriptedUsage = Partial<{ prompt_tokens: number; completion_tokens: number }> | "omitted";

/**
 * content beside shell/toolCalls is what the model says along with its calls.
 * delayMs holds the answer back, e.g. to abort or time out a request in flight.
 * retryAfterSeconds on an error sends `retry-after`, as a rate-limited (429) answer does.
 */
export type ScriptedReply =
  | { shell: string | string[]; content?: string; usage?: ScriptedUsage; delayMs?: number } // 1..n shell calls
  | { toolCalls: ScriptedToolCall[]; content?: string; usage?: ScriptedUsage; delayMs?: number } // raw, e.g. malformed
  | { content: string; usage?: ScriptedUsage; delayMs?: number } // final message
  | { error: { status: number; message: string }; retryAfterSeconds?: number; delayMs?: number }; // HTTP error answer

/** arguments is sent as is, so it can be invalid JSON. */
export interface ScriptedToolCall {
  name: string;
  arguments: string;
}

export type Script = ScriptedReply[] | ((request: ChatRequestBody, index: number) => ScriptedReply);

export interface FakeModel {
  /** http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  /** http://127.0.0.1:PORT: the Anthropic Messages API's base URL (its paths start with /v1). */
  anthropicBaseUrl: string;
  /**
   * Every request body, in arrival order; Responses and Messages requests as the Chat Completions conversation they
   * amount to, so that one script (and scenarioScript) drives the builtin loop and the CLI runners alike.
   */
  requests: ChatRequestBody[];
  /** Every request as it arrived: path with query, headers, raw body. */
  calls: FakeModelCall[];
  close(): Promise<void>;
}

export interface FakeModelCall {
  /** Date.now() when the request arrived. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The three APIs the fake serves, by path. */
const APIS = {
  "/v1/chat/completions": "chat",
  "/v1/responses": "responses",
  "/v1/messages": "messages",
} as const;

const DEFAULT_USAGE = { prompt_tokens: 100, completion_tokens: 20 };
const PAST_THE_SCRIPT: ScriptedReply = { content: "done" };

/**
 * A model server on loopback that answers from a script: OpenAI Chat Completions (JSON, for the builtin loop), and
 * streaming OpenAI Responses and Anthropic Messages (for the Codex and Claude Code runners).
 */
export async function startFakeModel(script: Script): Promise<FakeModel> {
  const requests: ChatRequestBody[] = [];
  const calls: FakeModelCall[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody(`fake model failed: ${String(error)}`));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").replace(/\?.*$/s, "");
    const api = req.method === "POST" && Object.hasOwn(APIS, path) ? APIS[path as keyof typeof APIS] : undefined;
    if (!api) {
      sendJson(
        res,
        404,
        errorBody(`fake model serves only POST ${Object.keys(APIS).join(", ")}, not ${req.method} ${req.url}`),
      );
      return;
    }
    const text = await readBody(req);
    calls.push({ at: Date.now(), path: req.url ?? "", headers: req.headers, body: text });
    const raw = JSON.parse(text) as Record<string, unknown>;
    const body =
      api === "chat"
        ? (raw as unknown as ChatRequestBody)
        : ({
            model: String(raw.model),
            messages: api === "responses" ? responsesAsChat(raw) : messagesAsChat(raw),
          } as ChatRequestBody);
    const index = requests.length;
    requests.push(body);
    const reply = typeof script === "function" ? script(body, index) : (script[index] ?? PAST_THE_SCRIPT);
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, reply.delayMs);
        timers.add(timer);
      });
    }
    if ("error" in reply) {
      const headers: Record<string, string> =
        reply.retryAfterSeconds === undefined ? {} : { "retry-after": String(reply.retryAfterSeconds) };
      sendJson(res, reply.error.status, errorBody(reply.error.message), headers);
      return;
    }
    // "omitted" is a chat completions answer without usage; the streamed APIs always end with their usage.
    const scripted = "usage" in reply && reply.usage !== "omitted" ? reply.usage : {};
    const usage = { ...DEFAULT_USAGE, ...scripted };
    if (api === "responses") streamResponsesReply(res, reply, { model: body.model, index, usage });
    else if (api === "messages") streamMessagesReply(res, reply, { model: body.model, index, usage });
    else sendJson(res, 200, completion(body.model, index, reply));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    anthropicBaseUrl: `http://127.0.0.1:${port}`,
    requests,
    calls,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      // The SDK keeps connections alive; without this close() waits for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function completion(model: string, index: number, reply: Exclude<ScriptedReply, { error: unknown }>): ChatCompletion {
  const toolCalls = toolCallsOf(reply);
  const message: ChatCompletion.Choice["message"] = {
    role: "assistant",
    content: reply.content ?? null,
    refusal: null,
    ...(toolCalls.length > 0 && {
      tool_calls: toolCalls.map((call, position) => ({
        id: `call_${index}_${position}`,
        type: "function" as const,
        function: { name: call.name, arguments: call.arguments },
      })),
    }),
  };
  const answer: ChatCompletion = {
    id: `chatcmpl-fake-${index}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop", logprobs: null }],
  };
  if (reply.usage === "omitted") return answer;
  const promptTokens = reply.usage?.prompt_tokens ?? DEFAULT_USAGE.prompt_tokens;
  const completionTokens = reply.usage?.completion_tokens ?? DEFAULT_USAGE.completion_tokens;
  const total = promptTokens + completionTokens;
  return {
    ...answer,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: total },
  };
}

function toolCallsOf(reply: Exclude<ScriptedReply, { error: unknown }>): ScriptedToolCall[] {
  if ("shell" in reply) {
    return [reply.shell].flat().map((command) => ({ name: "shell", arguments: JSON.stringify({ command }) }));
  }
  return "toolCalls" in reply ? reply.toolCalls : [];
}

/** Close enough to all three APIs' error bodies for their clients. */
function errorBody(message: string): { type: "error"; error: { message: string; type: string; code: null } } {
  return { type: "error", error: { message, type: "fake_model_error", code: null } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  // The client may have aborted while the reply was delayed.
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
