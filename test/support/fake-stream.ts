import type { ServerResponse } from "node:http";
import type { ScriptedReply } from "./fake-model.js";

export interface ReplyUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** The shell commands of a scripted reply (raw tool calls are Chat Completions only). */
export function scriptedCommands(reply: Exclude<ScriptedReply, { error: unknown }>): string[] {
  return "shell" in reply ? [reply.shell].flat() : [];
}

/** Writes Server-Sent Events (`event:` and `data:` lines) and ends the response. */
export function writeEvents(response: ServerResponse, events: Array<{ event: string; data: unknown }>): void {
  if (response.destroyed) return;
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const { event, data } of events) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  response.end();
}
