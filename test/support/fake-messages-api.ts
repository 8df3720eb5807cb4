import type { ServerResponse } from "node:http";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ScriptedReply } from "./fake-model.js";
import { scriptedCommands, writeEvents, type ReplyUsage } from "./fake-stream.js";

type Block = Record<string, unknown>;

/** The Anthropic Messages request as a Chat Completions conversation (tool results become tool messages). */
export function messagesAsChat(body: Record<string, unknown>): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [{ role: "system", content: blocksText(body.system) }];
  for (const message of (body.messages as Block[] | undefined) ?? []) {
    const blocks =
      typeof message.content === "string" ? [{ type: "text", text: message.content }] : (message.content as Block[]);
    for (const block of blocks ?? []) {
      if (block.type === "tool_result") {
        messages.push({ role: "tool", tool_call_id: String(block.tool_use_id), content: blocksText(block.content) });
      } else if (block.type === "text") {
        const role = message.role === "assistant" ? "assistant" : message.role === "system" ? "system" : "user";
        messages.push({ role, content: String(block.text) });
      }
    }
  }
  return messages;
}

function blocksText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((block: Block) => (typeof block.text === "string" ? block.text : "")).join("\n");
}

/** Streams one scripted reply the way the Messages API does; shell commands become Claude Code's Bash tool. */
export function streamMessagesReply(
  response: ServerResponse,
  reply: Exclude<ScriptedReply, { error: unknown }>,
  context: { model: string; index: number; usage: ReplyUsage },
): void {
  const blocks: Block[] = [
    ...(reply.content ? [{ type: "text", text: reply.content }] : []),
    ...scriptedCommands(reply).map((command, position) => ({
      type: "tool_use",
      id: `toolu_${context.index}_${position}`,
      name: "Bash",
      input: { command },
    })),
  ];
  const events: Array<{ event: string; data: Block }> = [];
  const add = (data: Block) => events.push({ event: String(data.type), data });
  add({
    type: "message_start",
    message: {
      id: `msg_fake_${context.index}`,
      type: "message",
      role: "assistant",
      model: context.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: context.usage.prompt_tokens, output_tokens: 1 },
    },
  });
  blocks.forEach((block, index) => {
    if (block.type === "text") {
      add({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      add({ type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else {
      add({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      add({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    }
    add({ type: "content_block_stop", index });
  });
  const toolUse = blocks.some((block) => block.type === "tool_use");
  add({
    type: "message_delta",
    delta: { stop_reason: toolUse ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: context.usage.completion_tokens },
  });
  add({ type: "message_stop" });
  writeEvents(response, events);
}
