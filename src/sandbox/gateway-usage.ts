import type { TokenUsage } from "../report/token-usage.js";

/** The model APIs the gateway forwards; each reports usage in its own shape. */
export type ModelApi = "responses" | "chat" | "messages";

type Json = Record<string, unknown>;

/**
 * Reads the token usage out of one upstream answer as it streams through: Server-Sent Events (`data:` lines) or one
 * JSON body. Responses reports it in `response.completed`, Chat Completions in its last chunk (or body), Messages
 * splits it: input in `message_start`, the running output count in each `message_delta`.
 */
export class UsageMeter {
  readonly #api: ModelApi;
  #pending = "";
  #body = "";
  #streamed = false;
  #input = 0;
  #output = 0;

  constructor(api: ModelApi) {
    this.#api = api;
  }

  write(chunk: Buffer): void {
    const text = this.#pending + chunk.toString("utf8");
    const lines = text.split("\n");
    this.#pending = lines.pop() ?? "";
    for (const line of lines) this.#line(line);
  }

  /** The usage once the answer ended. */
  end(): TokenUsage {
    if (this.#pending) this.#line(this.#pending);
    this.#pending = "";
    if (!this.#streamed && this.#body.trim()) {
      const body = parseJson(this.#body);
      if (body) this.#take(body);
    }
    return { promptTokens: this.#input, completionTokens: this.#output, totalTokens: this.#input + this.#output };
  }

  #line(line: string): void {
    if (line.startsWith("data:")) {
      this.#streamed = true;
      const event = parseJson(line.slice(5).trim());
      if (event) this.#event(event);
    } else if (!this.#streamed && !line.startsWith("event:")) {
      this.#body += `${line}\n`;
    }
  }

  #event(event: Json): void {
    if (this.#api === "responses") {
      const response = object(event.response);
      if (response && object(response.usage)) this.#take({ usage: response.usage });
    } else if (this.#api === "chat") {
      if (object(event.usage)) this.#take({ usage: event.usage });
    } else if (event.type === "message_start") {
      this.#take(object(event.message) ?? {});
    } else if (event.type === "message_delta") {
      const usage = object(event.usage);
      if (usage && typeof usage.output_tokens === "number") this.#output = usage.output_tokens;
    }
  }

  #take(holder: Json): void {
    const usage = object(holder.usage);
    if (!usage) return;
    const count = (name: string) => (typeof usage[name] === "number" ? usage[name] : 0);
    if (this.#api === "messages") {
      this.#input = count("input_tokens") + count("cache_creation_input_tokens") + count("cache_read_input_tokens");
      this.#output = count("output_tokens");
    } else if (this.#api === "responses") {
      this.#input = count("input_tokens");
      this.#output = count("output_tokens");
    } else {
      this.#input = count("prompt_tokens");
      this.#output = count("completion_tokens");
    }
  }
}

function parseJson(text: string): Json | undefined {
  try {
    return object(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}
