import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { taskIdForDelivery } from "../../../src/queue/task-job.js";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import { startHarness, type Harness } from "../../support/taskbox-harness.js";
import { startTestInternet, type TestInternet } from "../network/test-internet.js";

const docker = new Docker();
let internet: TestInternet;
beforeAll(async () => {
  internet = await startTestInternet(docker, inject("sandboxImage"));
});
afterAll(async () => {
  await internet?.remove();
});

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe.each(["codex", "claude-code"])("agent.runner: %s with internet.agent: limited", (runner) => {
  it("reaches the gateway and the allowed hosts through the egress proxy, nothing else", async () => {
    const deliveryId = randomUUID();
    const taskId = taskIdForDelivery(deliveryId);
    const commands = [
      "curl -sS --max-time 5 http://allowed.test/pkg; " +
        "curl -sS --max-time 5 -o /dev/null -w '%{http_code}\\n' http://denied.test/x; " +
        `curl -sS --max-time 2 --noproxy '*' http://${internet.allowed.ip}/ >/dev/null 2>&1 || echo direct-none`,
    ];
    harness = await startHarness({
      files: {
        "README.md": "# hello\n",
        ".github/taskbox.yml": `agent:\n  runner: ${runner}\n  model: fake-model\ninternet:\n  agent: limited\n  allow: [allowed.test]\n`,
      },
      script: (_request, index) => (index < commands.length ? { shell: commands[index]! } : { content: "Checked." }),
      env: { TASKBOX_EGRESS_NETWORK: internet.networkName, TASKBOX_EGRESS_ALLOW_PRIVATE: "true" },
    });
    expect(await harness.comment({ body: "/taskbox check the network" }, deliveryId)).toBe(200);
    const final = await harness.finalStatus(1, 240_000);

    expect(final.body).toContain("Checked.");
    const results = (harness.model.requests.at(-1)?.messages ?? []).filter((m) => m.role === "tool");
    expect(String(results[0]?.content)).toContain("allowed.test GET /pkg\n403\ndirect-none");
    expect(final.body).toContain("`denied.test`");
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    expect(
      (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length,
    ).toBe(0);
  });
});
