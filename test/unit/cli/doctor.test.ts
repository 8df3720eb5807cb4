import { createServer } from "node:net";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { doctorChecks, runDoctor, type DoctorDeps } from "../../../src/cli/doctor.js";
import { pingRedis } from "../../../src/cli/redis.js";
import { parseEnv } from "../../../src/env.js";

/** A loopback port nothing listens on: a Redis that is stopped. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const healthyDocker = {
  ping: () => Promise.resolve("OK"),
  info: () => Promise.resolve({ Runtimes: { runc: {} } }),
  getImage: () => ({ inspect: () => Promise.resolve({}) }),
} as unknown as Pick<Docker, "ping" | "info" | "getImage">;

function deps(overrides: Partial<DoctorDeps>, env: Record<string, string> = {}): DoctorDeps {
  return {
    env: parseEnv({ OPENAI_API_KEY: "key", TASKBOX_CA_BUNDLE: "none", ...env }),
    nodeVersion: "20.20.0",
    hasAppCredentials: true,
    docker: healthyDocker,
    pingRedis: () => Promise.resolve(),
    reach: () => Promise.resolve(200),
    ...overrides,
  };
}

async function report(options: DoctorDeps): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const ok = await runDoctor(doctorChecks(options), (line) => lines.push(line));
  return { ok, lines };
}

describe("taskbox doctor", () => {
  it("reports a stopped Redis with the command that starts it", async () => {
    const port = await closedPort();
    const { ok, lines } = await report(deps({ pingRedis }, { REDIS_URL: `redis://127.0.0.1:${port}` }));
    expect(ok).toBe(false);
    const at = lines.findIndex((line) => line.startsWith("FAIL Redis"));
    expect(lines[at]).toBe(
      `FAIL Redis: not reachable at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(lines[at + 1]).toContain(`fix: start it: \`npm start\` starts one, or redis-server --port ${port}`);
    expect(lines.filter((line) => line.startsWith("FAIL"))).toHaveLength(1);
  });

  it("passes a healthy host, one line per check", async () => {
    const { ok, lines } = await report(deps({}));
    expect(ok).toBe(true);
    expect(lines.map((line) => line.split(":")[0])).toStrictEqual([
      "ok   Node",
      "ok   Redis",
      "ok   Docker",
      "ok   Sandbox image",
      "ok   Sandbox runtime",
      "ok   CA bundle",
      "ok   App credentials",
      "ok   Model key",
      "ok   GitHub API",
      "ok   Model API",
    ]);
  });

  it("names the fix of each failing check", async () => {
    const down = () => Promise.reject(new Error("connect ENOENT /var/run/docker.sock"));
    const docker = {
      ...healthyDocker,
      ping: down,
      getImage: () => ({ inspect: down }),
    } as unknown as typeof healthyDocker;
    const { lines } = await report(
      deps(
        { docker, hasAppCredentials: false, nodeVersion: "18.19.0", reach: () => Promise.reject(new Error("offline")) },
        { TASKBOX_RUNTIME: "runsc", GHE_HOST: "github.example.com" },
      ),
    );
    expect(lines.join("\n")).toMatchInlineSnapshot(`
      "FAIL Node: Node 18.19.0 is too old: Taskbox needs Node 20.18.1 or newer (Node 20 LTS or later, https://nodejs.org/en/download)
           fix: install Node 20 LTS or later
      ok   Redis: answers at redis://127.0.0.1:6379
      FAIL Docker: the Docker engine is not reachable (connect ENOENT /var/run/docker.sock)
           fix: start it (\`npm start\` does, or \`dockerd &\` / \`systemctl start docker\` as root; apt-get install docker.io), or set DOCKER_HOST
      FAIL Sandbox image: taskbox-sandbox:latest is missing
           fix: build it: npm run sandbox:build
      FAIL Sandbox runtime: TASKBOX_RUNTIME=runsc, but the Docker engine has no runtime of that name (it has: runc). Install it and register it under runtimes in /etc/docker/daemon.json, then restart dockerd (docs/operations.md, gVisor), or unset TASKBOX_RUNTIME to use the engine's default runtime.
           fix: register it: node scripts/register-runtime.mjs /etc/docker/daemon.json runsc /usr/bin/runsc, then restart dockerd
      ok   CA bundle: none (only the images' own CAs)
      FAIL App credentials: APP_ID or the private key is missing
           fix: register the app through the setup page (\`npm start\`, then http://localhost:3000), or set APP_ID and PRIVATE_KEY_PATH
      ok   Model key: OPENAI_API_KEY is set
      FAIL GitHub API: https://github.example.com/api/v3 is not reachable (offline)
           fix: allow outbound HTTPS to it, check GHE_HOST, and behind a TLS-intercepting proxy trust its CA (NODE_EXTRA_CA_CERTS)
      FAIL Model API: https://api.openai.com/v1/models is not reachable (offline)
           fix: allow outbound HTTPS to it, check OPENAI_BASE_URL, and behind a TLS-intercepting proxy trust its CA (NODE_EXTRA_CA_CERTS)"
    `);
  });
});
