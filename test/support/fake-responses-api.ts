import type { ServerResponse } from "node:http";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ScriptedReply } from "./fake-model.js";
import { scriptedCommands, writeEvents, type ReplyUsage } from "./fake-stream.js";

type Item = Record<string, unknown>;

/**
 * The Responses API request as a Chat Completions conversation, so one script drives every runner: instructions and
 * developer/user messages become system/user messages, function calls assistant tool calls, their outputs tool results.
 */
export function responsesAsChat(body: Record<string, unknown>): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (typeof body.instructions === "string") messages.push({ role: "system", content: body.instructions });
  const input = typeof body.input === "string" ? [{ role: "user", content: body.input }] : (body.input as Item[]);
  for (const item of input ?? []) {
    if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
      messages.push({ role: "tool", tool_call_id: String(item.call_id), content: outputText(item.output) });
    } else if (item.type === "function_call") {
      messages.push({
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: String(item.call_id),
            type: "function",
            function: { name: String(item.name), arguments: String(item.arguments) },
          },
        ],
      });
    } else if (item.role !== undefined) {
      const role = item.role === "assistant" ? "assistant" : item.role === "user" ? "user" : "system";
      messages.push({ role, content: outputText(item.content) });
    }
  }
  return messages;
}

function outputText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return JSON.stringify(content ?? "");
  return content.map((part: Item) => (typeof part.text === "string" ? part.text : "")).join("\n");
}

/** Streams one scripted reply the way the Responses API does (the events Codex CLI consumes). */
export function streamResponsesReply(
  response: ServerResponse,
  reply: Exclude<ScriptedReply, { error: unknown }>,
  context: { model: string; index: number; usage: ReplyUsage },
): void {
  const id = `resp_fake_${context.index}`;
  const items: Item[] = scriptedCommands(reply).map((command, position) => ({
    type: "function_call",
    id: `fc_${context.index}_${position}`,
    call_id: `call_${context.index}_${position}`,
    name: "exec_command",
    arguments: JSON.stringify({ cmd: command, yield_time_ms: 30_000 }),
    status: "completed",
  }));
  if (reply.content) {
    items.unshift({
      type: "message",
      id: `msg_${context.index}`,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: reply.content, annotations: [] }],
    });
  }
  const base = { id, object: "response", model: context.model, created_at: Math.floor(Date.now() / 1000) };
  const events: Item[] = [
    { type: "response.created", response: { ...base, status: "in_progress", output: [] } },
    { type: "response.in_progress", response: { ...base, status: "in_progress", output: [] } },
  ];
  items.forEach((item, outputIndex) => {
    events.push({
      type: "response.output_item.added",
      output_index: outputIndex,
      item: { ...item, status: "in_progress" },
    });
    if (item.type === "message") {
      const text = reply.content ?? "";
      events.push({
        type: "response.output_text.delta",
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        delta: text,
      });
      events.push({
        type: "response.output_text.done",
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        text,
      });
    } else {
      events.push({
        type: "response.function_call_arguments.done",
        item_id: item.id,
        output_index: outputIndex,
        arguments: item.arguments,
      });
    }
    events.push({ type: "response.output_item.done", output_index: outputIndex, item });
  });
  const { prompt_tokens: input, completion_tokens: output } = context.usage;
  events.push({
    type: "response.completed",
    response: {
      ...base,
      status: "completed",
      output: items,
      usage: {
        input_tokens: input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: input + output,
      },
    },
  });
  writeEvents(
    response,
    events.map((event, sequence) => ({ event: String(event.type), data: { ...event, sequence_number: sequence } })),
  );
}
