import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { addUsage, NO_USAGE, type TokenUsage } from "../report/token-usage.js";
import { checkRequest, routeOf, type GatewayRoute } from "./gateway-request.js";
import { UsageMeter } from "./gateway-usage.js";

/** An upstream model API and the operator's key for it; both stay on the host. */
export interface Upstream {
  baseUrl: string;
  apiKey: string;
}

/** One request through the gateway, as the task's record keeps it (never a key, never a body). */
export interface GatewayExchange {
  path: string;
  model: string | undefined;
  status: number;
  usage: TokenUsage;
  durationMs: number;
  removedTools: string[];
  /** Why the gateway answered itself instead of forwarding. */
  refused?: string;
}

export interface ModelGatewayOptions {
  upstreams: { openai?: Upstream; anthropic?: Upstream };
  /** agent.max_tokens: once the upstream answers add up to it, every further request is refused. */
  maxTokens: number;
  /** Keep tools the provider runs itself (only `internet.agent: unrestricted`). */
  hostedTools: boolean;
  models: readonly string[] | undefined;
  /** Applied to every request body before it leaves the host (secret values, tokens). */
  redact(text: string): string;
  onExchange(exchange: GatewayExchange): void;
  /** Called once, when the budget is spent. */
  onBudgetSpent(): void;
  log: Logger;
}

/** The host side of a task's model gateway. */
export interface GatewayServer {
  /** The per-task credential the agent gets in place of a key. */
  readonly credential: string;
  readonly port: number;
  usage(): TokenUsage;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Request headers never forwarded: the sandbox's credential, hop-by-hop ones, and what fetch sets itself. */
const DROPPED_REQUEST_HEADERS = new Set([
  "authorization",
  "x-api-key",
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "accept-encoding",
  "cookie",
  "proxy-authorization",
  "te",
  "upgrade",
]);
const DROPPED_RESPONSE_HEADERS = new Set(["content-encoding", "content-length", "transfer-encoding", "connection"]);

/** Starts the gateway's HTTP server on `host` (an address only the gateway's relay reaches). */
export async function startGatewayServer(options: ModelGatewayOptions, host: string): Promise<GatewayServer> {
  const credential = `taskbox-gateway-${randomBytes(24).toString("hex")}`;
  const state = { usage: NO_USAGE, spent: false };
  const server: Server = createServer((request, response) => {
    handle(request, response, { options, credential, state }).catch((error: unknown) => {
      options.log.warn({ err: error }, "model gateway request failed");
      if (!response.headersSent)
        sendError(response, 502, "api_error", "the model gateway could not reach the upstream");
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  return {
    credential,
    port: (server.address() as AddressInfo).port,
    usage: () => state.usage,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Context {
  options: ModelGatewayOptions;
  credential: string;
  state: { usage: TokenUsage; spent: boolean };
}

async function handle(request: IncomingMessage, response: ServerResponse, context: Context): Promise<void> {
  const { options, state } = context;
  const started = performance.now();
  const url = new URL(request.url ?? "/", "http://gateway");
  const record = (exchange: Omit<GatewayExchange, "path" | "durationMs">) =>
    options.onExchange({ path: url.pathname, durationMs: Math.round(performance.now() - started), ...exchange });
  const refuse = (status: number, type: string, message: string, model?: string) => {
    sendError(response, status, type, message);
    record({ model, status, usage: NO_USAGE, removedTools: [], refused: message });
  };
  if (!authorized(request, context.credential))
    return refuse(401, "authentication_error", "invalid gateway credential");
  const route = routeOf(request.method, url.pathname);
  if (!route)
    return refuse(404, "not_found_error", `the model gateway does not serve ${request.method} ${url.pathname}`);
  const upstream = options.upstreams[route.provider];
  if (!upstream) return refuse(503, "api_error", `no ${route.provider} upstream is configured on this server`);
  const text = await readBody(request);
  const checked = checkRequest(text, options);
  if (!checked.ok) return refuse(400, "invalid_request_error", checked.message);
  const model = typeof checked.body.model === "string" ? checked.body.model : undefined;
  // Not retryable (a 400, not a 429): the CLI stops at once, and the runner ends it besides.
  if (state.spent) return refuse(400, "invalid_request_error", budgetMessage(options.maxTokens), model);

  const answer = await fetch(`${upstream.baseUrl.replace(/\/+$/, "")}${route.upstreamPath}${url.search}`, {
    method: "POST",
    headers: upstreamHeaders(request, route, upstream),
    body: options.redact(JSON.stringify(checked.body)),
  });
  response.writeHead(answer.status, responseHeaders(answer.headers));
  const meter = new UsageMeter(route.api);
  if (answer.body) {
    for await (const chunk of answer.body) {
      const buffer = Buffer.from(chunk);
      meter.write(buffer);
      response.write(buffer);
    }
  }
  response.end();
  const usage = meter.end();
  state.usage = addUsage(state.usage, usage);
  record({ model, status: answer.status, usage, removedTools: checked.removedTools });
  if (!state.spent && state.usage.totalTokens >= options.maxTokens) {
    state.spent = true;
    options.onBudgetSpent();
  }
}

export function budgetMessage(maxTokens: number): string {
  return `Taskbox: this task's token budget (agent.max_tokens: ${maxTokens}) is spent`;
}

function authorized(request: IncomingMessage, credential: string): boolean {
  const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
  const given = bearer ?? request.headers["x-api-key"];
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(credential);
  return a.length === b.length && timingSafeEqual(a, b);
}

function upstreamHeaders(request: IncomingMessage, route: GatewayRoute, upstream: Upstream): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (DROPPED_REQUEST_HEADERS.has(name) || value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  headers.set("content-type", "application/json");
  if (route.provider === "anthropic") headers.set("x-api-key", upstream.apiKey);
  else headers.set("authorization", `Bearer ${upstream.apiKey}`);
  return headers;
}

function responseHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE_HEADERS.has(name)) kept[name] = value;
  });
  return kept;
}

/** The error shape both APIs share closely enough for their clients: `{ error: { type, message } }`. */
function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ type: "error", error: { type, message, code: type } }));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
