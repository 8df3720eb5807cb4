import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";

/** What replaces an elided tool output; the model can run the command again when it needs the output. */
export const ELIDED_MARKER =
  "[Taskbox: this command's output was elided to keep the conversation within agent.context_tokens. Run the command again if you need it.]";

/** Past this share of agent.context_tokens older outputs are elided, down to the lower share. */
const ELIDE_ABOVE = 0.75;
const ELIDE_DOWN_TO = 0.5;
/** The newest tool outputs are never elided: the model is working with them. */
const KEEP_RECENT = 2;
/** Without a measurement, about four characters make a token. */
const CHARS_PER_TOKEN = 4;

/**
 * Keeps a conversation within its context budget: once its estimated size passes 75% of `contextTokens`, the oldest
 * tool outputs (but the newest two) are replaced by a marker until it is back at half. The estimate scales the
 * prompt tokens the model last reported by how the conversation grew since, or counts characters without a report.
 * Returns how many outputs it elided.
 */
export function elideOldToolOutputs(
  messages: ChatCompletionMessageParam[],
  budget: { contextTokens: number; measured?: { promptTokens: number; chars: number } },
): number {
  const tokensPerChar =
    budget.measured && budget.measured.chars > 0
      ? budget.measured.promptTokens / budget.measured.chars
      : 1 / CHARS_PER_TOKEN;
  let chars = conversationChars(messages);
  // Written so that a missing budget (NaN: a job queued before agent.context_tokens existed) elides nothing.
  if (!(chars * tokensPerChar > budget.contextTokens * ELIDE_ABOVE)) return 0;
  const tools = messages.flatMap((message, index) =>
    message.role === "tool" && message.content !== ELIDED_MARKER ? [index] : [],
  );
  let elided = 0;
  for (const index of tools.slice(0, Math.max(0, tools.length - KEEP_RECENT))) {
    if (chars * tokensPerChar <= budget.contextTokens * ELIDE_DOWN_TO) break;
    const message = messages[index]!;
    chars -= contentChars(message.content) - ELIDED_MARKER.length;
    messages[index] = { ...message, content: ELIDED_MARKER };
    elided++;
  }
  return elided;
}

export function conversationChars(messages: ChatCompletionMessageParam[]): number {
  return messages.reduce(
    (sum, message) =>
      sum +
      contentChars(message.content) +
      ("tool_calls" in message ? JSON.stringify(message.tool_calls ?? []).length : 0),
    0,
  );
}

function contentChars(content: ChatCompletionMessageParam["content"]): number {
  if (typeof content === "string") return content.length;
  return content ? JSON.stringify(content).length : 0;
}
