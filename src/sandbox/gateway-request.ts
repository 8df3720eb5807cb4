import type { ModelApi } from "./gateway-usage.js";

/** Where one gateway path goes: the provider whose key signs it, the API (for usage), and the upstream path. */
export interface GatewayRoute {
  provider: "openai" | "anthropic";
  api: ModelApi;
  /** Appended to the provider's base URL (OPENAI_BASE_URL ends in /v1, ANTHROPIC_BASE_URL does not). */
  upstreamPath: string;
}

const ROUTES: Record<string, GatewayRoute> = {
  "/v1/responses": { provider: "openai", api: "responses", upstreamPath: "/responses" },
  "/v1/chat/completions": { provider: "openai", api: "chat", upstreamPath: "/chat/completions" },
  "/v1/messages": { provider: "anthropic", api: "messages", upstreamPath: "/v1/messages" },
};

/** The route of `POST <path>`; anything else is refused. */
export function routeOf(method: string | undefined, path: string): GatewayRoute | undefined {
  return method === "POST" && Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
}

/**
 * Tools the provider runs on its own side, reaching the internet past `internet.agent`: OpenAI's hosted tools
 * (web_search, web_search_preview, file_search, code_interpreter, image_generation, computer use, remote MCP) and
 * Anthropic's server tools (web_search_*, web_fetch_*, code_execution_*). Client tools (function, custom, bash,
 * text_editor, …) run in the sandbox and stay.
 */
const HOSTED_TOOL =
  /^(?:web_search|web_fetch|file_search|code_interpreter|code_execution|image_generation|computer_use|mcp)/;

export type RequestCheck =
  { ok: true; body: Record<string, unknown>; removedTools: string[] } | { ok: false; message: string };

/** Validates one request body and takes provider-side tools out of it (unless `hostedTools`). */
export function checkRequest(
  text: string,
  options: { models: readonly string[] | undefined; hostedTools: boolean },
): RequestCheck {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, message: "the request body is not JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "the request body is not a JSON object" };
  }
  const request = { ...(body as Record<string, unknown>) };
  const model = request.model;
  if (options.models && (typeof model !== "string" || !options.models.includes(model))) {
    return {
      ok: false,
      message: `model ${JSON.stringify(model)} is not allowed on this server (TASKBOX_MODELS: ${options.models.join(", ")})`,
    };
  }
  if (options.hostedTools) return { ok: true, body: request, removedTools: [] };
  const removedTools: string[] = [];
  if (Array.isArray(request.tools)) {
    request.tools = request.tools.filter((tool: unknown) => {
      const type = typeof tool === "object" && tool !== null ? (tool as { type?: unknown }).type : undefined;
      if (typeof type === "string" && HOSTED_TOOL.test(type)) {
        removedTools.push(type);
        return false;
      }
      return true;
    });
  }
  // Anthropic's MCP connector: servers the provider connects to itself.
  if ("mcp_servers" in request) {
    delete request.mcp_servers;
    removedTools.push("mcp_servers");
  }
  return { ok: true, body: request, removedTools };
}
