import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Docker from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { taskIdForDelivery } from "../../../src/queue/task-job.js";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { Script } from "../../support/fake-model.js";
import { startHarness, type Harness } from "../../support/taskbox-harness.js";
import { LIST_INTERFACES } from "../../support/test-runtime.js";
import { startTestInternet, type TestInternet } from "./test-internet.js";

const docker = new Docker();
let internet: TestInternet;
/** An HTTP service on the Docker host (on the test network's gateway): reachable from any bridge with a route out. */
let hostService: { url: string; requests: number; close(): Promise<void> };

beforeAll(async () => {
  internet = await startTestInternet(docker, inject("sandboxImage"));
  const service = { url: "", requests: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const server = createServer((_request, response) => {
    service.requests++;
    response.end("host service\n");
  });
  await new Promise<void>((resolve) => server.listen(0, internet.gateway, resolve));
  service.url = `http://${internet.gateway}:${(server.address() as AddressInfo).port}/`;
  hostService = service;
});
afterAll(async () => {
  await hostService?.close();
  await internet?.remove();
});

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The tool results the model was sent, in order (the last request carries the whole conversation). */
function toolResults(): string[] {
  const last = harness!.model.requests.at(-1);
  return (last?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));
}

async function leftovers(taskId: string): Promise<number> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  return (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length;
}

/** Runs one task end to end (its id is known up front, so config and commands can name its sandbox). */
async function runTask(
  plan: (taskId: string) => { config: string; commands: string[] },
): Promise<{ taskId: string; body: string }> {
  const deliveryId = randomUUID();
  const taskId = taskIdForDelivery(deliveryId);
  const { config, commands } = plan(taskId);
  const script: Script = (_request, index) =>
    index < commands.length ? { shell: commands[index]! } : { content: "Checked the network." };
  harness = await startHarness({
    files: { "README.md": "# hello\n", ".github/taskbox.yml": config },
    script,
    env: { TASKBOX_EGRESS_NETWORK: internet.networkName, TASKBOX_EGRESS_ALLOWED_RANGES: internet.subnet },
  });
  expect(await harness.comment({ body: "/taskbox check the network" }, deliveryId)).toBe(200);
  const comment = await harness.finalStatus();
  return { taskId, body: comment.body };
}

/** Prints dns-ok/dns-none and tcp-ok/tcp-none: both succeed whenever the sandbox is on a network with a route out. */
function probes(taskId: string): string {
  // Docker's resolver knows the sandbox's own container name on any network it joins.
  return (
    `(getent hosts taskbox-${taskId} >/dev/null && echo dns-ok || echo dns-none); ` +
    `(curl -sS --max-time 2 --noproxy '*' ${hostService.url} >/dev/null 2>&1 && echo tcp-ok || echo tcp-none)`
  );
}

describe("internet access of a task", () => {
  it("limited: the agent reaches allowed hosts through the proxy only, and the status comment lists what was denied", async () => {
    const { taskId, body } = await runTask((id) => ({
      config: `
environment:
  setup: |
    { ${probes(id)}; } > ~/setup-probes
internet:
  agent: limited
  allow: [allowed.test]
`,
      commands: [
        "cat ~/setup-probes; " +
          'curl -sS --max-time 5 "http://allowed.test/pkg?token=abc"; curl -sS --max-time 5 -k https://allowed.test/secure',
        `curl -sS --max-time 5 -o /dev/null -w '%{http_code}\\n' "http://denied.test/x?token=abc"; ` +
          "curl -sS --max-time 5 -k https://denied.test/ >/dev/null 2>&1 || echo https-denied; " +
          `curl -sS --max-time 5 -X POST -o /dev/null -w '%{http_code}\\n' http://allowed.test/upload`,
        `${probes(id)}; curl -sS --max-time 2 --noproxy '*' http://${internet.allowed.ip}/ >/dev/null 2>&1 || echo direct-none`,
      ],
    }));

    expect(body).toMatch(/Answered/);
    const [allowed, denied, bypass] = toolResults();
    // Setup had ordinary network (the probes work); the agent gets the allowed host over HTTP and HTTPS.
    expect(allowed).toContain("dns-ok\ntcp-ok\nallowed.test GET /pkg?token=abc\nallowed.test GET /secure\n");
    expect(denied).toContain("403\nhttps-denied\n405\n");
    expect(bypass).toContain("dns-none\ntcp-none\ndirect-none\n");
    expect(hostService.requests).toBe(1); // the setup probe only
    expect(harness!.model.requests[0]!.messages[0]!.content).toContain("can reach only an allowlist of hosts");

    // The status comment names what the maintainer may want to allow, and never a query string.
    expect(body).toContain("`denied.test`");
    expect(body).toContain("`POST allowed.test`");
    expect(body).toContain("internet.allow");
    expect(body).not.toContain("token=");
    expect(await leftovers(taskId)).toBe(0);
  });

  it("off, with internet.setup: off: neither setup nor the agent has DNS or a route", async () => {
    const requestsBefore = hostService.requests;
    const { taskId, body } = await runTask((id) => ({
      config: `
environment:
  setup: |
    { ${LIST_INTERFACES}; ${probes(id)}; } > ~/setup-probes
internet:
  setup: off
  agent: off
`,
      commands: [`cat ~/setup-probes; ${LIST_INTERFACES}; ${probes(id)}`],
    }));

    expect(body).toMatch(/Answered/);
    expect(toolResults()[0]).toContain("lo\ndns-none\ntcp-none\nlo\ndns-none\ntcp-none\n");
    expect(hostService.requests).toBe(requestsBefore);
    expect(harness!.model.requests[0]!.messages[0]!.content).toContain("no network access at all");
    expect(await leftovers(taskId)).toBe(0);
  });
});
