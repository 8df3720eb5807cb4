import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  ModelApiError,
  runAgent,
  SHELL_TOOL,
  type AgentProgress,
  type RunAgentOptions,
  type ShellRun,
} from "../../../src/agent/run-agent.js";
import { ELIDED_MARKER } from "../../../src/agent/context-budget.js";
import { startFakeModel, type FakeModel, type Script } from "../../support/fake-model.js";

let fake: FakeModel | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function ok(output: string, exitCode = 0): ShellRun {
  return { exitCode, output: Buffer.from(output), omittedBytes: 0, timedOut: false };
}

/** maxRetries: how often the client retries a failed request (the worker's retries twice). */
async function setup(
  script: Script,
  { maxRetries = 0, ...overrides }: Partial<RunAgentOptions> & { maxRetries?: number } = {},
) {
  fake = await startFakeModel(script);
  const commands: string[] = [];
  const progress: AgentProgress[] = [];
  const options: RunAgentOptions = {
    client: new OpenAI({ baseURL: fake.baseUrl, apiKey: "test", maxRetries }),
    model: "test-model",
    systemPrompt: "SYSTEM",
    taskPrompt: "TASK",
    maxTurns: 10,
    maxTokens: 1_000_000,
    contextTokens: 1_000_000,
    shell: async (command) => {
      commands.push(command);
      return ok(`output of ${command}\n`);
    },
    redact: (text) => text,
    onProgress: (p) => progress.push(p),
    log: pino({ level: "silent" }),
    ...overrides,
  };
  return { fake, options, commands, progress };
}

function toolMessages(messages: ChatCompletionMessageParam[]) {
  return messages.filter((m) => m.role === "tool");
}

describe("runAgent", () => {
  it("elides older tool outputs with a marker once the conversation nears agent.context_tokens", async () => {
    const big = "x".repeat(4000);
    const steps = ["one", "two", "three", "four"];
    // Like a real model, the fake reports about a token per four characters of the conversation.
    const { fake, options } = await setup(
      (request, index) => {
        const usage = { prompt_tokens: Math.round(JSON.stringify(request.messages).length / 4), completion_tokens: 10 };
        return index < steps.length ? { shell: steps[index]!, usage } : { content: "done", usage };
      },
      { contextTokens: 2500, shell: async (command) => ok(`${command}:${big}`) },
    );
    const result = await runAgent(options);
    expect(result.outcome).toBe("completed");
    const last = toolMessages(fake.requests.at(-1)!.messages).map((m) => String(m.content));
    expect(last).toHaveLength(4);
    expect(last.slice(0, 2)).toStrictEqual([ELIDED_MARKER, ELIDED_MARKER]);
    expect(last.slice(2).map((content) => content.includes(`:${big}`))).toStrictEqual([true, true]);
    // Nothing is elided while the conversation is small.
    expect(toolMessages(fake.requests[1]!.messages).map((m) => m.content)).not.toContain(ELIDED_MARKER);
  });

  it("runs the commands in order, feeds their results back and returns the final message", async () => {
    const { fake, options, commands, progress } = await setup([
      { shell: "ls" },
      { shell: ["cat a.txt", "npm test"], usage: { prompt_tokens: 300, completion_tokens: 40 } },
      { content: "Added the flag; npm test passes." },
    ]);

    const result = await runAgent(options);

    expect(result).toEqual({
      outcome: "completed",
      summary: "Added the flag; npm test passes.",
      turns: 3,
      usage: { promptTokens: 500, completionTokens: 80, totalTokens: 580 },
    });
    expect(commands).toEqual(["ls", "cat a.txt", "npm test"]);

    expect(fake.requests).toHaveLength(3);
    const [first, second, third] = fake.requests;
    expect(first!.model).toBe("test-model");
    expect(first!.tools).toEqual([SHELL_TOOL]);
    expect(first!.tool_choice).toBe("auto");
    expect(first!.messages).toEqual([
      { role: "system", content: "SYSTEM" },
      { role: "user", content: "TASK" },
    ]);
    expect(second!.messages.slice(2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_0_0", type: "function", function: { name: "shell", arguments: '{"command":"ls"}' } }],
      },
      { role: "tool", tool_call_id: "call_0_0", content: "exit code: 0\noutput of ls\n" },
    ]);
    expect(toolMessages(third!.messages)).toEqual([
      { role: "tool", tool_call_id: "call_0_0", content: "exit code: 0\noutput of ls\n" },
      { role: "tool", tool_call_id: "call_1_0", content: "exit code: 0\noutput of cat a.txt\n" },
      { role: "tool", tool_call_id: "call_1_1", content: "exit code: 0\noutput of npm test\n" },
    ]);

    expect(progress).toEqual([
      { turn: 1, command: "ls", usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 } },
      { turn: 2, command: "npm test", usage: { promptTokens: 400, completionTokens: 60, totalTokens: 460 } },
      { turn: 3, usage: { promptTokens: 500, completionTokens: 80, totalTokens: 580 } },
    ]);
  });

  it("reports exit codes and timeouts to the model", async () => {
    const { fake, options } = await setup([{ shell: ["false", "sleep 999"] }, { content: "done" }], {
      shell: async (command) =>
        command === "false"
          ? ok("", 1)
          : { exitCode: 137, output: Buffer.from("partial"), omittedBytes: 0, timedOut: true },
    });

    await runAgent(options);

    expect(toolMessages(fake.requests[1]!.messages).map((m) => m.content)).toEqual([
      "exit code: 1\n(no output)",
      "exit code: 137 (timed out: the command ran too long and was stopped)\npartial",
    ]);
  });

  it("redacts every tool result before the model sees it", async () => {
    const secret = "ghs_supersecretvalue123";
    const { fake, options } = await setup([{ shell: "env" }, { content: "done" }], {
      shell: async () => ok(`TOKEN=${secret}\nPATH=/usr/bin\n`),
      redact: (text) => text.replaceAll(secret, "***"),
    });

    await runAgent(options);

    const seen = JSON.stringify(fake.requests);
    expect(seen).not.toContain(secret);
    expect(toolMessages(fake.requests[1]!.messages)[0]!.content).toBe("exit code: 0\nTOKEN=***\nPATH=/usr/bin\n");
  });

  it("cuts long output in the middle with a marker, keeping head and tail", async () => {
    const output = `HEAD${"x".repeat(50_000)}TAIL`;
    const { fake, options } = await setup([{ shell: "make" }, { content: "done" }], {
      shell: async () => ({ exitCode: 2, output: Buffer.from(output), omittedBytes: 1000, timedOut: false }),
      maxToolOutputChars: 2000,
    });

    await runAgent(options);

    const content = toolMessages(fake.requests[1]!.messages)[0]!.content as string;
    expect(content.startsWith("exit code: 2\nHEAD")).toBe(true);
    expect(content.endsWith("TAIL")).toBe(true);
    expect(content).toContain(`\n[... ${50_008 - 2000 + 1000} bytes omitted ...]\n`);
    expect(content.length).toBeLessThan(2100);
  });

  it("answers unusable tool calls with an error and carries on", async () => {
    const { fake, options, commands } = await setup([
      {
        toolCalls: [
          { name: "shell", arguments: "{not json" },
          { name: "shell", arguments: '{"cmd":"ls"}' },
          { name: "python", arguments: '{"code":"1"}' },
          { name: "shell", arguments: '{"command":"pwd"}' },
        ],
      },
      { content: "done" },
    ]);

    const result = await runAgent(options);

    expect(result.outcome).toBe("completed");
    expect(commands).toEqual(["pwd"]);
    const contents = toolMessages(fake.requests[1]!.messages).map((m) => m.content);
    expect(contents).toHaveLength(4);
    expect(contents[0]).toMatch(/^error: the tool arguments are not valid JSON/);
    expect(contents[1]).toMatch(/^error: "command" must be a non-empty string/);
    expect(contents[2]).toBe('error: unknown tool "python". The only tool is "shell".');
    expect(contents[3]).toBe("exit code: 0\noutput of pwd\n");
  });

  it("stops at the turn limit with the last thing the model said", async () => {
    const { fake, options, commands } = await setup(
      (_request, index) =>
        index === 1 ? { content: "Looking at the tests now", shell: "ls" } : { shell: `step ${index}` },
      { maxTurns: 3 },
    );

    const result = await runAgent(options);

    expect(result).toEqual({
      outcome: "turn_limit",
      turns: 3,
      usage: { promptTokens: 300, completionTokens: 60, totalTokens: 360 },
      lastMessage: "Looking at the tests now",
    });
    expect(fake.requests).toHaveLength(3);
    expect(commands).toEqual(["step 0", "ls", "step 2"]);
  });

  it("finishes normally when the last allowed turn is the final message", async () => {
    const { options } = await setup([{ shell: "ls" }, { content: "all good" }], { maxTurns: 2 });
    expect(await runAgent(options)).toMatchObject({ outcome: "completed", summary: "all good", turns: 2 });
  });

  it("stops when the token budget is used up, without running that turn's commands", async () => {
    const { fake, options, commands } = await setup(
      [
        { shell: "one", usage: { prompt_tokens: 400, completion_tokens: 100 } },
        { shell: "two", usage: { prompt_tokens: 900, completion_tokens: 100 } },
        { content: "never reached" },
      ],
      { maxTokens: 1500 },
    );

    const result = await runAgent(options);

    expect(result).toEqual({
      outcome: "token_limit",
      turns: 2,
      usage: { promptTokens: 1300, completionTokens: 200, totalTokens: 1500 },
      lastMessage: "",
    });
    expect(commands).toEqual(["one"]);
    expect(fake.requests).toHaveLength(2);
  });

  it("turns an HTTP error from the model into a ModelApiError with the status", async () => {
    const { fake, options, commands } = await setup([
      { shell: "ls" },
      { error: { status: 500, message: "upstream overloaded" } },
    ]);

    const error = await runAgent(options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelApiError);
    expect(error).toMatchObject({ status: 500, message: "model API error (HTTP 500): upstream overloaded" });
    expect(commands).toEqual(["ls"]);
    expect(fake.requests).toHaveLength(2);
  });

  it("counts only the usage the model reports, and warns once when it reports none", async () => {
    const warnings: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
    const { options } = await setup(
      [
        { shell: "one", usage: "omitted" },
        { shell: "two", usage: { prompt_tokens: 300, completion_tokens: 50 } },
        { content: "done", usage: "omitted" },
      ],
      { log, maxTokens: 300 },
    );

    const result = await runAgent(options);

    expect(result).toMatchObject({
      outcome: "token_limit",
      usage: { promptTokens: 300, completionTokens: 50, totalTokens: 350 },
    });
    expect(warnings).toEqual(["model API reports no token usage; the token budget cannot be enforced"]);
  });

  it("runs without usage at all, and then cannot stop at the token budget", async () => {
    const { options } = await setup(
      [
        { shell: "ls", usage: "omitted" },
        { content: "done", usage: "omitted" },
      ],
      {
        maxTokens: 1,
      },
    );
    expect(await runAgent(options)).toMatchObject({
      outcome: "completed",
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    });
  });

  it("waits out a rate limit (429 with retry-after) and carries on", async () => {
    const { fake, options, commands } = await setup(
      [
        { shell: "ls" },
        { error: { status: 429, message: "Rate limit reached" }, retryAfterSeconds: 1 },
        { content: "done" },
      ],
      { maxRetries: 2 }, // as the worker's client (src/worker/create-task-deps.ts)
    );

    expect(await runAgent(options)).toMatchObject({ outcome: "completed", summary: "done", turns: 2 });
    expect(commands).toEqual(["ls"]);
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[2]).toEqual(fake.requests[1]);
  });

  it("gives up on a rate limit that outlasts the retries, with the status", async () => {
    const limited = { error: { status: 429, message: "Rate limit reached" }, retryAfterSeconds: 0 } as const;
    const { fake, options } = await setup(() => limited, { maxRetries: 1 });

    await expect(runAgent(options)).rejects.toMatchObject({ status: 429 });
    expect(fake.requests).toHaveLength(2);
  });

  it("reports an unreachable model API as a ModelApiError without a status", async () => {
    const { options } = await setup([]);
    await fake!.close();
    fake = undefined;

    const error = await runAgent(options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelApiError);
    expect(error).toMatchObject({ status: undefined });
    expect((error as Error).message).toMatch(/^model API error \(no response\): Connection error/);
  });

  it("stops promptly when aborted while a command runs", async () => {
    const controller = new AbortController();
    const reason = new Error("task cancelled");
    const { fake, options } = await setup([{ shell: "sleep 600" }, { content: "never" }], {
      signal: controller.signal,
      // The command never ends: only the abort can end the run.
      shell: () => {
        queueMicrotask(() => controller.abort(reason));
        return new Promise<ShellRun>(() => {});
      },
    });

    await expect(runAgent(options)).rejects.toBe(reason);
    expect(fake.requests).toHaveLength(1);
  });

  it("stops promptly when aborted while waiting for the model", async () => {
    const controller = new AbortController();
    const reason = new Error("shutting down");
    // Aborted once the request is in flight; the answer would come only long after the test's timeout.
    const { options } = await setup(
      () => {
        controller.abort(reason);
        return { content: "too late", delayMs: 600_000 };
      },
      { signal: controller.signal },
    );

    await expect(runAgent(options)).rejects.toBe(reason);
  });

  it("does not start when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled before start"));
    const { fake, options } = await setup([{ content: "never" }], { signal: controller.signal });

    await expect(runAgent(options)).rejects.toThrow("cancelled before start");
    expect(fake.requests).toHaveLength(0);
  });

  it("keeps going when the progress callback throws", async () => {
    const { options } = await setup([{ shell: "ls" }, { content: "done" }], {
      onProgress: () => {
        throw new Error("comment update failed");
      },
    });
    expect(await runAgent(options)).toMatchObject({ outcome: "completed", summary: "done" });
  });
});
