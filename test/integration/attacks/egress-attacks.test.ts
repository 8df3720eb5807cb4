import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { taskIdForDelivery } from "../../../src/queue/task-job.js";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import { startHarness, type Harness } from "../../support/taskbox-harness.js";
import { startTestInternet, type TestInternet } from "../network/test-internet.js";

// Attacks on the egress proxy of `internet.agent: limited` (issue 11, holes 6 and 7), through the whole app.

const docker = new Docker();
const FLOOD = 3000;

/** Opens a CONNECT tunnel to allowed.test:443 through the proxy and starts TLS without a server name. */
const NO_SNI = `node -e '
const proxy = new URL(process.env.HTTPS_PROXY);
const socket = require("net").connect(proxy.port, proxy.hostname, () =>
  socket.write("CONNECT allowed.test:443 HTTP/1.1\\r\\nHost: allowed.test:443\\r\\n\\r\\n"));
socket.once("data", () => {
  const tls = require("tls").connect({ socket, servername: "", rejectUnauthorized: false });
  tls.on("secureConnect", () => { console.log("no-sni:connected"); process.exit(0); });
  tls.on("error", () => undefined);
  tls.on("close", () => { console.log("no-sni:closed"); process.exit(0); });
});'`;

/** CONNECTs to FLOOD distinct hosts outside the allowlist, 100 at a time. */
const FLOOD_SCRIPT = `node -e '
const proxy = new URL(process.env.HTTPS_PROXY);
let next = 0, done = 0;
const one = () => {
  if (next >= ${FLOOD}) return;
  const host = "h" + next++ + ".flood.test:443";
  const socket = require("net").connect(proxy.port, proxy.hostname, () =>
    socket.write("CONNECT " + host + " HTTP/1.1\\r\\nHost: " + host + "\\r\\n\\r\\n"));
  socket.on("error", () => undefined);
  socket.on("close", () => { if (++done === ${FLOOD}) console.log("flood:done"); else one(); });
  socket.resume();
};
for (let i = 0; i < 100; i++) one();'`;

const COMMANDS = [
  "curl -sS --max-time 5 -k https://allowed.test/secure",
  "curl -sS --max-time 5 -p -o /dev/null -w 'port:%{http_connect}\\n' http://allowed.test:80/ 2>/dev/null || true",
  "curl -sS --max-time 5 -o /dev/null -w 'framing:%{http_code}\\n' -X GET -H 'Transfer-Encoding: chunked' --data-binary smuggled http://allowed.test/",
  NO_SNI,
  "curl -sS --max-time 5 http://denied.test/",
  FLOOD_SCRIPT,
];

let internet: TestInternet;
let harness: Harness;

beforeAll(async () => {
  internet = await startTestInternet(docker, inject("sandboxImage"));
  harness = await startHarness({
    files: {
      "README.md": "# hello\n",
      // denied.test is allowed by name, but its address is outside the operator's ranges.
      ".github/taskbox.yml": "internet:\n  agent: limited\n  allow: [allowed.test, denied.test]\n",
    },
    script: (_request, index) =>
      index < COMMANDS.length ? { shell: COMMANDS[index]! } : { content: "Tried to get out." },
    env: { TASKBOX_EGRESS_NETWORK: internet.networkName, TASKBOX_EGRESS_ALLOWED_RANGES: `${internet.allowed.ip}/32` },
  });
});
afterAll(async () => {
  await harness?.close();
  await internet?.remove();
});

function toolResults(): string[] {
  const last = harness.model.requests.at(-1);
  return (last?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));
}

describe("attacks through the egress proxy", () => {
  it("7 and 6: other ports, smuggled bodies, tunnels without SNI and reserved addresses are refused, each named with its reason; a flood of denials stays bounded", async () => {
    const deliveryId = randomUUID();
    expect(await harness.comment({ body: "/taskbox get out" }, deliveryId)).toBe(200);
    const status = await harness.finalStatus(1, 170_000);
    expect(status.body).toContain("Answered");
    const [https, port, framing, noSni, reserved, flood] = toolResults();
    expect(https).toContain("allowed.test GET /secure");
    expect(port).toContain("port:403");
    expect(framing).toContain("framing:400");
    expect(noSni).toContain("no-sni:closed");
    expect(reserved).toMatch(/denied\.test resolves to [\d.]+, a reserved address \(private\)/);
    expect(flood).toContain("flood:done");

    const notes = status.body.split("\n").filter((line) => line.includes("The egress proxy"));
    const noteAbout = (words: string) => notes.find((note) => note.includes(words)) ?? "";
    expect(noteAbout("not in `internet.allow`")).toMatch(/`h\d+\.flood\.test` .*and \d{4} more/);
    expect(noteAbout("not in `internet.allow`")).not.toContain("denied.test");
    expect(noteAbout("reserved addresses")).toContain(`\`denied.test (${internet.denied.ip})\``);
    expect(noteAbout("CONNECT ports")).toContain("`allowed.test:80`");
    expect(noteAbout("TLS ClientHello")).toContain("`allowed.test (no server name (SNI))`");
    expect(noteAbout("ambiguous framing")).toContain("`GET allowed.test (a body on GET)`");
    for (const note of notes) expect(note.length).toBeLessThan(320);

    const filters = { label: [`${TASK_LABEL}=${taskIdForDelivery(deliveryId)}`] };
    expect(await docker.listContainers({ all: true, filters })).toHaveLength(0);
  });
});
