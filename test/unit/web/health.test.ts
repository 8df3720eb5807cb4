import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createHealth, type ReadinessCheck } from "../../../src/web/health.js";

let server: Server | undefined;

async function serve(checks: ReadinessCheck[]) {
  const health = createHealth(checks, { timeoutMs: 200 });
  server = createServer((req, res) => {
    void health.handler(req, res).then((handled) => handled || res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
  };
  return { health, get };
}

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

const passing = (name: string): ReadinessCheck => ({ name, check: () => Promise.resolve() });

describe("/healthz and /readyz", () => {
  it("is ready when every check passes", async () => {
    const { get } = await serve([passing("redis"), passing("docker")]);
    expect(await get("/readyz")).toStrictEqual({
      status: 200,
      body: { status: "ok", checks: { redis: "ok", docker: "ok" } },
    });
  });

  it("answers 503 naming the failing check, while /healthz stays 200", async () => {
    const { get } = await serve([
      passing("docker"),
      { name: "redis", check: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379")) },
    ]);
    expect(await get("/readyz")).toStrictEqual({
      status: 503,
      body: { status: "unavailable", checks: { docker: "ok", redis: "connect ECONNREFUSED 127.0.0.1:6379" } },
    });
    expect((await get("/healthz")).status).toBe(200);
  });

  it("fails a check that does not answer in time", async () => {
    const { get } = await serve([{ name: "redis", check: () => new Promise(() => {}) }]);
    expect(await get("/readyz")).toStrictEqual({
      status: 503,
      body: { status: "unavailable", checks: { redis: "no answer within 200 ms" } },
    });
  });

  it("is not ready once the process is shutting down", async () => {
    const { health, get } = await serve([passing("redis")]);
    health.markStopping();
    expect(await get("/readyz")).toStrictEqual({
      status: 503,
      body: { status: "unavailable", checks: { process: "shutting down" } },
    });
  });

  it("leaves other paths and methods to the next handler", async () => {
    const { get } = await serve([passing("redis")]);
    expect((await get("/readyz/extra")).status).toBe(404);
    expect((await get("/")).status).toBe(404);
  });
});
