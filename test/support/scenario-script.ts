import type { ChatRequestBody, ScriptedReply } from "./fake-model.js";

/**
 * A model script for several tasks at once: each task's request (in its prompt) names a scenario ("scenario:<name>"),
 * and each scenario answers by how many tool results its conversation has so far. The map may gain scenarios later.
 */
export function scenarioScript(
  scenarios: ReadonlyMap<string, ScriptedReply[]>,
): (request: ChatRequestBody) => ScriptedReply {
  return (request) => {
    const prompt = request.messages
      .map((message) => (typeof message.content === "string" ? message.content : ""))
      .join("\n");
    const name = [...scenarios.keys()].find((key) => prompt.includes(`scenario:${key} `));
    if (!name) return { content: "no scenario named in the request" };
    const step = request.messages.filter((message) => message.role === "tool").length;
    return scenarios.get(name)![step] ?? { content: "done" };
  };
}

/** The tool results one scenario's conversation got, from the last request the model saw for it. */
export function toolResultsOf(requests: ChatRequestBody[], scenario: string): string[] {
  const last = requests.filter((request) => JSON.stringify(request.messages).includes(`scenario:${scenario} `)).at(-1);
  return (last?.messages ?? []).filter((message) => message.role === "tool").map((message) => String(message.content));
}
