import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { afterEach, describe, expect, inject, it } from "vitest";
import { taskIdForDelivery } from "../../../src/queue/task-job.js";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { Script } from "../../support/fake-model.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../../support/taskbox-harness.js";

const docker = new Docker();
const OPENAI_KEY = "sk-operator-openai-5d1c7a";
const ANTHROPIC_KEY = "sk-ant-operator-8e2b4f";
const SECRET = "repo-secret-value-3a9d";
const RUNNERS = [
  { runner: "codex", keyHeader: (h: Record<string, unknown>) => h.authorization, expected: `Bearer ${OPENAI_KEY}` },
  { runner: "claude-code", keyHeader: (h: Record<string, unknown>) => h["x-api-key"], expected: ANTHROPIC_KEY },
] as const;

/** Everything the agent could read for a key: its environment, every process's environment and argv, and files. */
const LEAK_SCAN =
  "env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; " +
  "grep -rIl -e sk-operator -e sk-ant-operator -e ghs_fake -e repo-secret /workspace /home /tmp /var/tmp /etc 2>/dev/null; echo scan-done";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function leftovers(taskId: string): Promise<number> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  return (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length;
}

async function start(config: string, script: Script, files: Record<string, string> = {}) {
  const deliveryId = randomUUID();
  harness = await startHarness({
    files: { "README.md": "# hello\n", ".github/taskbox.yml": config, ...files },
    secrets: { [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET } },
    script,
    env: { OPENAI_API_KEY: OPENAI_KEY, ANTHROPIC_API_KEY: ANTHROPIC_KEY, TASKBOX_MODELS: "fake-model" },
  });
  expect(await harness.comment({ body: "/taskbox change the readme" }, deliveryId)).toBe(200);
  return { harness, taskId: taskIdForDelivery(deliveryId) };
}

/** true once the task's sandbox (not its gateway relay or proxy) has the file. */
async function sandboxHasFile(taskId: string, path: string): Promise<true | undefined> {
  const containers = await docker.listContainers({ filters: { label: [`${TASK_LABEL}=${taskId}`] } });
  const sandbox = containers.find((container) => container.Labels["taskbox.role"] === undefined);
  if (!sandbox) return undefined;
  try {
    const exec = await docker
      .getContainer(sandbox.Id)
      .exec({ Cmd: ["test", "-e", path], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    stream.resume();
    await new Promise((resolve) => stream.once("end", resolve));
    return (await exec.inspect()).ExitCode === 0 ? true : undefined;
  } catch {
    return undefined; // the setup sandbox, paused for its snapshot, or already gone
  }
}

function toolResults(h: Harness): string[] {
  return (h.model.requests.at(-1)?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));
}

describe.each(RUNNERS)("agent.runner: $runner", ({ runner, keyHeader, expected }) => {
  const config = (extra = "") => `
environment:
  secrets: [API_TOKEN]
  setup: echo "setup saw $API_TOKEN" > /dev/null
agent:
  runner: ${runner}
  model: fake-model
${extra}`;

  it("runs the script's commands in the checkout through the gateway; the change becomes a PR; no key in the sandbox", async () => {
    const { harness, taskId } = await start(
      config(),
      [
        { shell: "echo 'Hello from the runner.' >> README.md && git status --short" },
        { shell: LEAK_SCAN },
        {
          // No resolver and no route out: neither a name nor an address outside answers.
          shell:
            "(curl -sS --max-time 3 http://example.com/ >/dev/null 2>&1 && echo name-ok || echo name-none); " +
            "(curl -sS --max-time 3 http://192.0.2.1/ >/dev/null 2>&1 && echo address-ok || echo address-none)",
        },
        { content: "Appended a greeting to README.md." },
      ],
      { "AGENTS.md": "# Rules\nAlways run the agents-md-marker check.\n" },
    );
    const final = await harness.finalStatus(1, 240_000);
    expect(final.body).toContain("Appended a greeting to README.md.");
    const pull = harness.github.pulls.at(-1);
    expect(pull?.body).toContain("Appended a greeting to README.md.");
    const [status, scan, outside] = toolResults(harness);
    expect(status).toContain("M README.md");
    expect(scan).toContain("scan-done");
    for (const value of [OPENAI_KEY, ANTHROPIC_KEY, SECRET, harness.github.installationToken]) {
      expect(scan).not.toContain(value);
    }
    expect(outside).toContain("name-none\naddress-none");
    // The upstream saw the operator's key, never the sandbox's credential, and AGENTS.md reached the runner.
    const calls = harness.model.calls;
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const call of calls) expect(keyHeader(call.headers)).toBe(expected);
    expect(calls[0]!.body).toContain("agents-md-marker");
    expect(final.body).toMatch(/tokens/i);
    expect(await leftovers(taskId)).toBe(0);
  });

  it("stops the runner once agent.max_tokens is spent, with a clear status comment", async () => {
    const { harness, taskId } = await start(config("  max_tokens: 150"), [
      { shell: "echo one" },
      { shell: "echo two" },
      { shell: "touch never-reached" },
      { content: "should not get here" },
    ]);
    const final = await harness.finalStatus(1, 240_000);
    expect(final.body).toContain("token budget (agent.max_tokens: 150)");
    expect(harness.model.requests).toHaveLength(2);
    expect(harness.github.pulls).toHaveLength(0);
    expect(await leftovers(taskId)).toBe(0);
  });

  it("reports a runner that fails with its last output", async () => {
    // Every request fails: Claude Code retries a 400 once without its newer betas.
    const { harness } = await start(config(), () => ({
      error: { status: 400, message: "upstream refused: boom-7731" },
    }));
    const final = await harness.finalStatus(1, 240_000);
    expect(final.body).toContain(`the ${runner} runner exited with code`);
    expect(final.body).toContain("boom-7731");
  });

  it("cancel stops the runner and removes its sandbox", async () => {
    const { harness, taskId } = await start(config(), [{ shell: "touch started && sleep 300" }]);
    await waitFor("the command to run", () => sandboxHasFile(taskId, "/workspace/started"), 60_000);
    expect(await harness.comment({ body: "/taskbox cancel", commentId: 5050 })).toBe(200);
    const final = await harness.finalStatusOf(taskId, 30_000);
    expect(final.body).toContain("Cancelled by @maintainer");
    await waitFor("the sandbox to be gone", async () => ((await leftovers(taskId)) === 0 ? true : undefined), 10_000);
  });
});

describe("a runner missing from the task's image", () => {
  it("fails the task naming agent.runner and the image", async () => {
    const image = `taskbox-sandbox:test-no-agents-${randomUUID().slice(0, 8)}`;
    await imageWithoutAgents(inject("sandboxImage"), image);
    try {
      const { harness, taskId } = await start(
        `environment:\n  image: ${image}\nagent:\n  runner: codex\n  model: fake-model\n`,
        [{ content: "never asked" }],
      );
      const final = await harness.finalStatus(1, 240_000);
      expect(final.body).toContain(`\`agent.runner\`: codex is not installed in the image \`${image}\``);
      expect(harness.model.calls).toHaveLength(0);
      expect(await leftovers(taskId)).toBe(0);
    } finally {
      await harness?.close();
      harness = undefined;
      await docker.getImage(image).remove({ force: true });
    }
  });
});

/** The sandbox image without /opt/taskbox/agents, as a custom image would be; its config stays the base's. */
async function imageWithoutAgents(base: string, tag: string): Promise<void> {
  const container = await docker.createContainer({
    Image: base,
    Labels: { "taskbox.test": "true" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const exec = await container.exec({
      Cmd: ["rm", "-rf", "/opt/taskbox/agents"],
      User: "root",
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    stream.resume();
    await new Promise((resolve) => stream.once("end", resolve));
    expect((await exec.inspect()).ExitCode).toBe(0);
    const colon = tag.lastIndexOf(":");
    await container.commit({ repo: tag.slice(0, colon), tag: tag.slice(colon + 1) });
  } finally {
    await container.remove({ force: true });
  }
}
