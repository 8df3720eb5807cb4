import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayServer, type GatewayExchange, type GatewayServer } from "../../../src/sandbox/model-gateway.js";
import { startFakeModel, type FakeModel, type Script } from "../../support/fake-model.js";

let fake: FakeModel | undefined;
let gateway: GatewayServer | undefined;
afterEach(async () => {
  await gateway?.close();
  await fake?.close();
  gateway = fake = undefined;
});

async function setup(script: Script, options: { maxTokens?: number; hostedTools?: boolean; models?: string[] } = {}) {
  fake = await startFakeModel(script);
  const exchanges: GatewayExchange[] = [];
  let spent = 0;
  gateway = await startGatewayServer(
    {
      upstreams: {
        openai: { baseUrl: fake.baseUrl, apiKey: "sk-openai-upstream" },
        anthropic: { baseUrl: fake.anthropicBaseUrl, apiKey: "sk-ant-upstream" },
      },
      maxTokens: options.maxTokens ?? 1_000_000,
      hostedTools: options.hostedTools ?? false,
      models: options.models,
      redact: (text) => text.replaceAll("hunter2", "***"),
      onExchange: (exchange) => exchanges.push(exchange),
      onBudgetSpent: () => spent++,
      log: pino({ level: "silent" }),
    },
    "127.0.0.1",
  );
  const url = `http://127.0.0.1:${gateway.port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gateway!.credential}`, ...headers },
      body: JSON.stringify(body),
    });
  return { fake, gateway, exchanges, post, spent: () => spent, url };
}

const responsesBody = { model: "m", stream: true, input: [{ role: "user", content: "[scenario:x ] hi" }] };
const messagesBody = { model: "m", stream: true, max_tokens: 100, messages: [{ role: "user", content: "hi" }] };

describe("the model gateway", () => {
  it("forwards Responses requests with the operator's key, streams the answer through and counts its tokens", async () => {
    const { fake, gateway, post, exchanges } = await setup([
      { content: "hello", usage: { prompt_tokens: 30, completion_tokens: 7 } },
    ]);
    const answer = await post("/v1/responses", responsesBody);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).toContain("event: response.completed");
    expect(text).toContain('"text":"hello"');
    expect(fake.calls[0]!.headers.authorization).toBe("Bearer sk-openai-upstream");
    expect(fake.calls[0]!.body).not.toContain(gateway.credential);
    expect(gateway.usage()).toStrictEqual({ promptTokens: 30, completionTokens: 7, totalTokens: 37 });
    expect(exchanges).toMatchObject([{ path: "/v1/responses", model: "m", status: 200, usage: { totalTokens: 37 } }]);
  });

  it("signs Messages requests with x-api-key and passes the query and the beta headers the CLIs need", async () => {
    const { fake, gateway, post } = await setup([
      { content: "hi", usage: { prompt_tokens: 11, completion_tokens: 4 } },
    ]);
    const answer = await post("/v1/messages?beta=true", messagesBody, {
      authorization: "",
      "x-api-key": gateway.credential,
      "anthropic-beta": "claude-code-20250219",
      "anthropic-version": "2023-06-01",
    });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain("event: message_stop");
    const call = fake.calls[0]!;
    expect(call.path).toBe("/v1/messages?beta=true");
    expect(call.headers).toMatchObject({ "x-api-key": "sk-ant-upstream", "anthropic-beta": "claude-code-20250219" });
    expect(call.headers.authorization).toBeUndefined();
    expect(gateway.usage().totalTokens).toBe(15);
  });

  it("refuses a wrong credential and every path but the three APIs, without reaching the upstream", async () => {
    const { fake, post, url } = await setup([]);
    expect((await post("/v1/responses", responsesBody, { authorization: "Bearer sk-guess" })).status).toBe(401);
    expect((await post("/v1/models", {})).status).toBe(404);
    expect((await post("/v1/files", {})).status).toBe(404);
    expect((await fetch(`${url}/v1/responses`)).status).toBe(401);
    expect(fake.calls).toHaveLength(0);
  });

  it("removes provider-side tools and redacts secrets before the request leaves, unless hosted tools are allowed", async () => {
    const { fake, post, exchanges } = await setup(() => ({ content: "ok" }));
    const body = {
      ...responsesBody,
      input: [{ role: "user", content: "the password is hunter2" }],
      tools: [
        { type: "function", name: "exec_command" },
        { type: "web_search", external_web_access: true },
      ],
    };
    await (await post("/v1/responses", body)).text();
    const sent = JSON.parse(fake.calls[0]!.body) as { tools: Array<{ type: string }>; input: unknown };
    expect(sent.tools.map((tool) => tool.type)).toStrictEqual(["function"]);
    expect(JSON.stringify(sent.input)).toContain("the password is ***");
    expect(exchanges[0]!.removedTools).toStrictEqual(["web_search"]);
    await (
      await post("/v1/messages", {
        ...messagesBody,
        tools: [{ type: "web_fetch_20250910", name: "web_fetch" }],
        mcp_servers: [{}],
      })
    ).text();
    const anthropic = JSON.parse(fake.calls[1]!.body) as Record<string, unknown>;
    expect(anthropic.tools).toStrictEqual([]);
    expect(anthropic).not.toHaveProperty("mcp_servers");
  });

  it("keeps hosted tools for internet.agent: unrestricted", async () => {
    const { fake, post } = await setup(() => ({ content: "ok" }), { hostedTools: true });
    await (await post("/v1/responses", { ...responsesBody, tools: [{ type: "web_search" }] })).text();
    expect(fake.calls[0]!.body).toContain("web_search");
  });

  it("refuses models outside TASKBOX_MODELS", async () => {
    const { fake, post } = await setup(() => ({ content: "ok" }), { models: ["small"] });
    const answer = await post("/v1/responses", responsesBody);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain("not allowed on this server (TASKBOX_MODELS: small)");
    expect(fake.calls).toHaveLength(0);
  });

  it("ends the budget once: the crossing answer goes through, later requests get a non-retryable refusal", async () => {
    const { fake, post, spent } = await setup(
      () => ({ content: "ok", usage: { prompt_tokens: 60, completion_tokens: 10 } }),
      { maxTokens: 100 },
    );
    expect((await post("/v1/chat/completions", { model: "m", messages: [] })).status).toBe(200);
    expect(spent()).toBe(0);
    await (await post("/v1/messages", messagesBody)).text();
    expect(spent()).toBe(1);
    const refused = await post("/v1/responses", responsesBody);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("token budget (agent.max_tokens: 100) is spent");
    expect(fake.calls).toHaveLength(2);
    expect(spent()).toBe(1);
  });
});
