import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { ELIDED_MARKER, elideOldToolOutputs } from "../../../src/agent/context-budget.js";

function conversation(outputs: string[]): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: "system" },
    { role: "user", content: "task" },
    ...outputs.flatMap((output, index): ChatCompletionMessageParam[] => [
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: `c${index}`, type: "function", function: { name: "shell", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: `c${index}`, content: output },
    ]),
  ];
}

describe("elideOldToolOutputs", () => {
  it("leaves a conversation below three quarters of the budget alone", () => {
    const messages = conversation(["a".repeat(400), "b".repeat(400)]);
    expect(elideOldToolOutputs(messages, { contextTokens: 1000 })).toBe(0);
    // A job queued before agent.context_tokens existed carries no budget: nothing is elided.
    expect(elideOldToolOutputs(conversation(["a".repeat(9000)]), { contextTokens: Number.NaN })).toBe(0);
    expect(messages.filter((m) => m.content === ELIDED_MARKER)).toHaveLength(0);
  });

  it("elides the oldest outputs first, down to half the budget, and never the newest two", () => {
    const messages = conversation(["a".repeat(2000), "b".repeat(2000), "c".repeat(2000), "d".repeat(2000)]);
    expect(elideOldToolOutputs(messages, { contextTokens: 2500 })).toBe(2);
    const tools = messages.filter((m) => m.role === "tool").map((m) => m.content);
    expect(tools).toStrictEqual([ELIDED_MARKER, ELIDED_MARKER, "c".repeat(2000), "d".repeat(2000)]);
    // Already elided outputs are not counted again.
    expect(elideOldToolOutputs(messages, { contextTokens: 2500 })).toBe(0);
  });

  it("scales the model's own prompt token count instead of guessing from characters", () => {
    const messages = conversation(["a".repeat(1000), "b".repeat(1000), "c".repeat(1000)]);
    // The model counted one token per character: 3000+ tokens, over 75% of 4000.
    expect(elideOldToolOutputs(messages, { contextTokens: 4000, measured: { promptTokens: 1000, chars: 1000 } })).toBe(
      1,
    );
  });
});
