import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Docker from "dockerode";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createDockerSandboxFactory } from "../../../src/sandbox/docker-sandbox.js";
import {
  createDockerEgressProxyFactory,
  EgressProxyError,
  type EgressDecision,
} from "../../../src/sandbox/egress-proxy.js";
import { compileEgressPolicy, DEFAULT_METHODS } from "../../../src/config/network-policy.js";
import { MANAGED_LABEL, TASK_LABEL, type Sandbox } from "../../../src/sandbox/types.js";
import { startTestInternet, type TestInternet } from "./test-internet.js";

const docker = new Docker();
const log = pino({ level: "silent" });
const image = inject("sandboxImage");
const sandboxes = createDockerSandboxFactory({ docker, log });
const limits = { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1_000_000_000, pidsLimit: 256 };

let internet: TestInternet;
beforeAll(async () => {
  internet = await startTestInternet(docker, image);
});
afterAll(async () => internet?.remove());

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newTaskId(): string {
  const taskId = `t-${randomUUID().slice(0, 8)}`;
  cleanups.push(() => removeEverythingLabelled(taskId));
  return taskId;
}

/** Safety net for the test run itself, independent of the code under test. */
async function removeEverythingLabelled(taskId: string): Promise<void> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

async function labelled(taskId: string): Promise<string[]> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return [...containers.flatMap((c) => c.Names), ...networks.map((n) => n.Name)];
}

async function createSandbox(taskId: string, network: boolean): Promise<Sandbox> {
  const sandbox = await sandboxes.create({ taskId, image, limits, network });
  cleanups.push(() => sandbox.remove());
  return sandbox;
}

async function run(sandbox: Sandbox, command: string): Promise<{ exitCode: number; text: string }> {
  const result = await sandbox.exec({ command, timeoutMs: 20_000, maxOutputBytes: 64 * 1024 });
  return { exitCode: result.exitCode, text: result.output.toString("utf8") };
}

const CURL = "curl -sS --max-time 5";

/** An HTTP server on the host's side of the test network: stands for any service on the Docker host. */
async function startHostService(address: string): Promise<{ address: string; port: number; requests: number }> {
  const service = { address, port: 0, requests: 0 };
  const server = createServer((_request, response) => {
    service.requests++;
    response.end("host service\n");
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  service.port = (server.address() as AddressInfo).port;
  return service;
}

describe("internet.agent: limited", () => {
  it("reaches allowed hosts only through the egress proxy, with allowed methods only", async () => {
    const taskId = newTaskId();
    const host = await startHostService(internet.gateway);
    const denied: EgressDecision[] = [];
    // The test hosts have private addresses, as a registry on the operator's LAN would.
    const proxies = createDockerEgressProxyFactory({
      docker,
      log,
      image,
      outsideNetwork: internet.networkName,
      allowPrivateAddresses: true,
    });
    const policy = compileEgressPolicy({ allow: ["allowed.test"], methods: DEFAULT_METHODS });
    const proxy = await proxies.start({ taskId, policy, onDenied: (decision) => denied.push(decision) });
    cleanups.push(() => proxy.stop());
    const internal = await docker.getNetwork(proxy.networkName).inspect();
    expect(internal.Internal).toBe(true);
    expect(internal.Labels).toMatchObject({ [MANAGED_LABEL]: "true", [TASK_LABEL]: taskId });

    // Created without network, as with `internet.setup: off`, then switched for the agent.
    const sandbox = await createSandbox(taskId, false);
    await sandbox.setNetwork({ mode: "limited", networkName: proxy.networkName, proxyUrl: proxy.proxyUrl });
    expect(sandbox.networkName).toBe(proxy.networkName);
    expect((await run(sandbox, "printenv http_proxy HTTPS_PROXY no_proxy")).text).toBe(
      `${proxy.proxyUrl}\n${proxy.proxyUrl}\nlocalhost,127.0.0.1,::1\n`,
    );

    // Through the proxy: allowed host over HTTP and HTTPS (CONNECT), allowed methods.
    expect((await run(sandbox, `${CURL} "http://allowed.test/pkg?token=t1"`)).text).toBe(
      "allowed.test GET /pkg?token=t1\n",
    );
    expect((await run(sandbox, `${CURL} -k https://allowed.test/secure`)).text).toBe("allowed.test GET /secure\n");
    expect((await run(sandbox, `${CURL} -I -o /dev/null -w '%{http_code}' http://allowed.test/`)).text).toBe("200");

    // Denied: another host (HTTP and HTTPS), a method outside the list where the proxy sees it.
    expect((await run(sandbox, `${CURL} -o /dev/null -w '%{http_code}' "http://denied.test/x?token=t2"`)).text).toBe(
      "403",
    );
    const https = await run(sandbox, `${CURL} -k "https://denied.test/y?token=t3"`);
    expect(https.exitCode).not.toBe(0);
    expect(https.text).toMatch(/403/);
    expect(
      (await run(sandbox, `${CURL} -X POST -o /dev/null -w '%{http_code}' "http://allowed.test/upload?token=t4"`)).text,
    ).toBe("405");
    // A TLS name other than the CONNECT host (fronting a denied site through an allowed one) is cut off.
    const fronted = await run(sandbox, `${CURL} -k --connect-to denied.test:443:allowed.test:443 https://denied.test/`);
    expect(fronted.exitCode).not.toBe(0);
    expect(fronted.text).not.toContain("denied.test GET");

    // Ignoring the proxy gets nothing: no names, and no connection to any address but the proxy's, not even to the
    // Docker host's own services (which a plain internal network still reaches through its gateway).
    const lookup = await run(sandbox, "getent hosts allowed.test");
    expect(lookup.exitCode).not.toBe(0);
    const direct = await Promise.all([
      run(sandbox, `curl -sS --max-time 2 --noproxy '*' http://${internet.allowed.ip}/`),
      run(sandbox, `curl -sS --max-time 2 --noproxy '*' -k https://${internet.denied.ip}/`),
      run(sandbox, `python3 -c 'import socket; socket.create_connection(("${internet.allowed.ip}", 80), 2)'`),
      run(sandbox, `curl -sS --max-time 2 --noproxy '*' http://${host.address}:${host.port}/`),
    ]);
    for (const attempt of direct) {
      expect(attempt.exitCode).not.toBe(0);
      expect(attempt.text).not.toMatch(/\.test GET|host service/);
    }
    expect(host.requests).toBe(0);

    await proxy.stop();
    expect(denied.map((d) => [d.reason, d.method, d.host, d.path])).toStrictEqual([
      ["host", "GET", "denied.test", "/x"],
      ["host", "CONNECT", "denied.test", undefined],
      ["method", "POST", "allowed.test", "/upload"],
      ["sni", "CONNECT", "allowed.test", undefined],
    ]);
    expect(denied[3]?.serverName).toBe("denied.test");
    expect(JSON.stringify(denied)).not.toContain("token");
    await sandbox.remove();
    expect(await labelled(taskId)).toStrictEqual([]);
  });

  it("by default denies allowed names that resolve to private addresses", async () => {
    const taskId = newTaskId();
    const denied: EgressDecision[] = [];
    const proxies = createDockerEgressProxyFactory({ docker, log, image, outsideNetwork: internet.networkName });
    const proxy = await proxies.start({
      taskId,
      policy: compileEgressPolicy({ allow: ["allowed.test"], methods: DEFAULT_METHODS }),
      onDenied: (decision) => denied.push(decision),
    });
    cleanups.push(() => proxy.stop());
    const sandbox = await createSandbox(taskId, true);
    await sandbox.setNetwork({ mode: "limited", networkName: proxy.networkName, proxyUrl: proxy.proxyUrl });
    const answer = await run(sandbox, `${CURL} -w ' %{http_code}' http://allowed.test/`);
    expect(answer.text).toMatch(/a private address\n 403$/);
    await proxy.stop();
    expect(denied).toMatchObject([{ reason: "address", host: "allowed.test", address: internet.allowed.ip }]);
  });

  it("fails with a clear error and leaves nothing behind when the outside network does not exist", async () => {
    const taskId = newTaskId();
    const proxies = createDockerEgressProxyFactory({
      docker,
      log,
      image,
      outsideNetwork: `taskbox-test-missing-${taskId}`,
    });
    const started = proxies.start({
      taskId,
      policy: compileEgressPolicy({ allow: [], methods: [] }),
      onDenied: () => undefined,
    });
    await expect(started).rejects.toBeInstanceOf(EgressProxyError);
    await expect(started).rejects.toThrow(/TASKBOX_EGRESS_NETWORK/);
    expect(await labelled(taskId)).toStrictEqual([]);
  });
});

describe("internet.agent: unrestricted", () => {
  it("switches a sandbox created without network to ordinary outbound access, and back to loopback only", async () => {
    const taskId = newTaskId();
    const sandbox = await createSandbox(taskId, false);
    expect((await run(sandbox, "ls /sys/class/net")).text).toBe("lo\n");

    await sandbox.setNetwork({ mode: "open" });
    expect(sandbox.networkName).toBe(`taskbox-${taskId}`);
    await internet.attachTo(sandbox.networkName!);
    expect((await run(sandbox, `${CURL} http://allowed.test/a`)).text).toBe("allowed.test GET /a\n");
    expect((await run(sandbox, `${CURL} -k -X POST https://denied.test/b`)).text).toBe("denied.test POST /b\n");
    expect((await run(sandbox, 'printf %s "${HTTP_PROXY-unset}"')).text).toBe("unset");

    await sandbox.setNetwork({ mode: "off" });
    expect((await run(sandbox, "ls /sys/class/net")).text).toBe("lo\n");
    const lookup = await run(sandbox, "getent hosts allowed.test");
    expect(lookup.exitCode).not.toBe(0);
    expect((await run(sandbox, `${CURL} http://${internet.allowed.ip}/`)).exitCode).not.toBe(0);
    expect(await labelled(taskId)).toStrictEqual([`/taskbox-${taskId}`]);
  });
});
