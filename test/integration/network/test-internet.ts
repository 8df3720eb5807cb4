import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";

/** Label of every Docker resource this helper creates, so a failed run can be told apart from product resources. */
export const TEST_LABEL = "taskbox.test";

/**
 * Answers every request on port 80 (HTTP) and 443 (HTTPS, with a throwaway certificate) with
 * "<its name> <method> <path>", so a test sees which host answered and what reached it.
 */
const HOST_PROGRAM = `
const http = require("node:http"), https = require("node:https");
const answer = (req, res) => res.end(process.env.HOST_NAME + " " + req.method + " " + req.url + "\\n");
http.createServer(answer).listen(80);
https.createServer({ key: process.env.TLS_KEY, cert: process.env.TLS_CERT }, answer).listen(443);
`;

export interface TestHost {
  name: string;
  /** Its address on the test network, for connections that bypass names. */
  ip: string;
  container: Docker.Container;
}

export interface TestInternet {
  /** A labelled bridge network that plays the internet; the egress proxy's outside leg joins it. */
  networkName: string;
  /** The Docker host's own address on that network. */
  gateway: string;
  /** The network's address range (private), for TASKBOX_EGRESS_ALLOWED_RANGES. */
  subnet: string;
  allowed: TestHost;
  denied: TestHost;
  /** Connects both hosts to another network (a sandbox's own bridge) under their names. */
  attachTo(networkName: string): Promise<void>;
  remove(): Promise<void>;
}

/** Two web servers, `allowed.test` and `denied.test`, on a network of their own: the only "internet" tests reach. */
export async function startTestInternet(docker: Docker, image: string): Promise<TestInternet> {
  const id = randomUUID().slice(0, 8);
  const labels = { [TEST_LABEL]: "true" };
  const networkName = `taskbox-test-internet-${id}`;
  const network = await docker.createNetwork({ Name: networkName, Driver: "bridge", Labels: labels });
  const hosts: TestHost[] = [];
  const remove = async () => {
    for (const host of hosts) await host.container.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  };
  try {
    const tls = makeCertificate();
    for (const name of ["allowed.test", "denied.test"]) {
      const container = await docker.createContainer({
        name: `taskbox-test-${name.replace(".", "-")}-${id}`,
        Image: image,
        User: "root",
        Entrypoint: ["node", "-e", HOST_PROGRAM],
        Cmd: [],
        Env: [`HOST_NAME=${name}`, `TLS_KEY=${tls.key}`, `TLS_CERT=${tls.cert}`],
        Labels: labels,
        HostConfig: { NetworkMode: networkName },
        NetworkingConfig: { EndpointsConfig: { [networkName]: { Aliases: [name] } } },
      });
      await container.start();
      const info = await container.inspect();
      hosts.push({ name, ip: info.NetworkSettings.Networks[networkName]!.IPAddress, container });
    }
    await waitForListening(hosts);
  } catch (error) {
    await remove();
    throw error;
  }
  const [allowed, denied] = hosts as [TestHost, TestHost];
  const ipam = (await network.inspect()).IPAM?.Config?.[0];
  const gateway = ipam?.Gateway;
  const subnet = ipam?.Subnet;
  if (!gateway || !subnet) throw new Error(`test network ${networkName} has no gateway or subnet`);
  return {
    networkName,
    gateway,
    subnet,
    allowed,
    denied,
    async attachTo(other) {
      for (const host of hosts)
        await docker
          .getNetwork(other)
          .connect({ Container: host.container.id, EndpointConfig: { Aliases: [host.name] } });
    },
    remove,
  };
}

function makeCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "taskbox-test-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=allowed.test",
        "-addext",
        "subjectAltName=DNS:allowed.test,DNS:denied.test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForListening(hosts: TestHost[]): Promise<void> {
  for (const host of hosts) {
    for (let attempt = 0; ; attempt++) {
      const exec = await host.container.exec({
        Cmd: ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/80 && exec 4<>/dev/tcp/127.0.0.1/443"],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      stream.resume();
      await once(stream, "end");
      if ((await exec.inspect()).ExitCode === 0) break;
      if (attempt > 100) throw new Error(`test host ${host.name} did not start listening`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
