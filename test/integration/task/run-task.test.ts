import { createHash } from "node:crypto";
import Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { Script } from "../../support/fake-model.js";
import { headlineOf } from "../../support/status-comments.js";
import { OWNER, REPO, startHarness, type Harness } from "../../support/taskbox-harness.js";

const SECRET = "setup-only-secret-9f3e";
const docker = new Docker();
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The tool results the model was sent, in order (the last request carries the whole conversation). */
function toolResults(harness: Harness): string[] {
  const last = harness.model.requests.at(-1);
  return (last?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));
}

async function leftovers(body: string): Promise<number> {
  const taskId = /taskbox:task=([0-9a-f]+)/.exec(body)?.[1];
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  return (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length;
}

describe("a task in the worker", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function run(config: string, script: Script) {
    harness = await startHarness({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": config },
      secrets: { [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET } },
      script,
    });
    expect(await harness.comment({ body: "/taskbox check the environment" })).toBe(200);
    return harness.finalStatus();
  }

  it("gives setup env, secrets and network, and agent commands env only: no secret, no token, no network", async () => {
    const config = `
environment:
  setup: |
    [ "$(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)" = "${sha256(SECRET).slice(0, 16)}" ] && echo yes > ~/setup-saw-secret
    [ "$GREETING" = hello ] && echo yes > ~/setup-saw-env
    awk '$2 == "00000000" { found = 1 } END { exit !found }' /proc/net/route && echo yes > ~/setup-had-route
  env: { GREETING: hello }
  secrets: [API_TOKEN]
`;
    const comment = await run(config, (_request, index) => {
      const token = harness!.github.installationToken;
      const commands = [
        'cat ~/setup-saw-secret ~/setup-saw-env ~/setup-had-route; echo "env=$GREETING secret=${API_TOKEN:-absent}"',
        // Every route to a secret or the token: environment of every process, files the bot wrote, git config.
        `cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -cF "${SECRET}";` +
          ` grep -rlsF -e "${SECRET}" -e "${token}" /workspace /home /tmp /etc /run /var /root 2>/dev/null; echo found-end;` +
          ` git -C /workspace config --list --show-origin | grep -ciE "token|authorization|extraheader"`,
        "getent hosts deb.debian.org >/dev/null && echo dns-ok || echo dns-failed; ls /sys/class/net; awk 'NR > 1' /proc/net/route | wc -l",
      ];
      return index < commands.length ? { shell: commands[index]! } : { content: "Checked the environment." };
    });

    expect(headlineOf(comment.body)).toBe("💬 Answered");
    const [fromSetup, secretSearch, network] = toolResults(harness!);
    expect(fromSetup).toContain("yes\nyes\nyes\nenv=hello secret=absent");
    expect(secretSearch).toMatch(/^exit code: 1\n0\nfound-end\n0\n?$/); // grep -c exits 1 when it counts nothing
    expect(network).toContain("dns-failed\nlo\n0");
    expect(await leftovers(comment.body)).toBe(0);
  });

  it("reports a failing setup script with its exit code and redacted log tail, and never calls the model", async () => {
    const config = `
environment:
  setup: |
    echo "using token $API_TOKEN"
    echo "npm ERR! missing script: build" >&2
    exit 3
  secrets: [API_TOKEN]
`;
    const comment = await run(config, [{ content: "never asked" }]);

    expect(comment.body).toContain("Setup failed");
    expect(comment.body).toContain("exited with code 3");
    expect(comment.body).toContain("npm ERR! missing script: build");
    expect(comment.body).toContain("using token ***");
    expect(comment.body).not.toContain(SECRET);
    expect(harness!.model.requests).toHaveLength(0);
    expect(harness!.github.pulls).toHaveLength(0);
    expect(await leftovers(comment.body)).toBe(0);
  });

  it("reports a model API error in the agent phase", async () => {
    const comment = await run("agent: { max_turns: 5 }\n", () => ({
      error: { status: 500, message: "upstream exploded" },
    }));

    expect(headlineOf(comment.body)).toBe("❌ Agent failed");
    expect(comment.body).toContain("HTTP 500");
    expect(comment.body).toContain("upstream exploded");
    expect(harness!.github.pulls).toHaveLength(0);
    expect(await leftovers(comment.body)).toBe(0);
  });

  it("ends a task that runs past limits.task_timeout and removes its sandbox", async () => {
    const config = "limits: { task_timeout: 4s, command_timeout: 4s }\n";
    // The command would sleep past the task's timeout; only the task timeout ends it (the command timeout would let the
    // agent go on to its final message).
    const comment = await run(config, [{ shell: "touch started; sleep 60" }, { content: "should not get here" }]);

    expect(headlineOf(comment.body)).toBe("❌ Agent failed");
    expect(comment.body).toContain("ran out of time");
    expect(comment.body).toContain("task_timeout");
    expect(harness!.github.pulls).toHaveLength(0);
    expect(await leftovers(comment.body)).toBe(0);
  });

  it("ends in a failed status comment when GitHub cannot mint the worker's token", async () => {
    await run("agent: { max_turns: 2 }\n", () => ({ content: "Nothing to change." })); // warms the web's token cache
    harness!.github.injectFault({
      method: "POST",
      path: /\/app\/installations\/\d+\/access_tokens$/,
      status: 500,
      json: { message: "token service unavailable" },
    });
    expect(await harness!.comment({ body: "/taskbox check again", issueNumber: 2 })).toBe(200);
    const comment = await harness!.finalStatus(2);

    expect(comment.body).toContain("Checkout failed");
    expect(comment.body).toContain("token service unavailable");
  });

  it("stops at agent.max_turns with a clear failure and no pull request", async () => {
    const comment = await run("agent: { max_turns: 2 }\n", () => ({ shell: "echo more > more.txt" }));

    expect(headlineOf(comment.body)).toBe("❌ Agent failed");
    expect(comment.body).toContain("agent.max_turns (2)");
    expect(harness!.github.pulls).toHaveLength(0);
    expect(await leftovers(comment.body)).toBe(0);
  });
});
