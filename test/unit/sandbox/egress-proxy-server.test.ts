import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import {
  createEgressProxyServer,
  isHostAllowed,
  isMethodAllowed,
  isPrivateAddress,
  parseAuthority,
  pathForLog,
  readServerName,
  type EgressEvent,
  type EgressPolicy,
} from "../../../src/sandbox/egress-proxy-server.mjs";

const policy: EgressPolicy = {
  hosts: ["pypi.org", "127.0.0.1"],
  domains: ["npmjs.org"],
  methods: ["GET", "HEAD", "OPTIONS"],
};

describe("egress policy matching", () => {
  it.each([
    ["pypi.org", true],
    ["PyPI.org.", true],
    ["registry.npmjs.org", true],
    ["a.b.npmjs.org", true],
    ["npmjs.org", false], // a wildcard admits names below the domain, not the domain itself
    ["evilnpmjs.org", false],
    ["npmjs.org.evil.test", false],
    ["files.pypi.org", false], // an exact host admits only itself
    ["pypi.org.evil.test", false],
    ["denied.test", false],
  ])("host %s → %s", (host, allowed) => {
    expect(isHostAllowed(policy, host)).toBe(allowed);
  });

  it("admits only the listed methods, in any case", () => {
    expect(isMethodAllowed(policy, "get")).toBe(true);
    expect(isMethodAllowed(policy, "OPTIONS")).toBe(true);
    expect(isMethodAllowed(policy, "POST")).toBe(false);
    expect(isMethodAllowed(policy, "DELETE")).toBe(false);
  });

  it("keeps query strings and fragments out of the log", () => {
    expect(pathForLog("/simple/flask/?token=s3cret&x=1")).toBe("/simple/flask/");
    expect(pathForLog("/a#frag?x")).toBe("/a");
    expect(pathForLog(`/${"x".repeat(500)}`)).toHaveLength(201);
  });

  it.each([
    ["10.1.2.3", true],
    ["172.17.0.1", true],
    ["192.168.1.1", true],
    ["127.0.0.1", true],
    ["169.254.169.254", true], // cloud metadata
    ["::1", true],
    ["::ffff:10.0.0.1", true],
    ["fd00::1", true],
    ["fe80::1", true],
    ["151.101.1.63", false],
    ["2a04:4e42::223", false],
  ])("address %s is private: %s", (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it("parses CONNECT authorities", () => {
    expect(parseAuthority("Registry.NPMjs.org:443")).toStrictEqual({ host: "registry.npmjs.org", port: 443 });
    expect(parseAuthority("[::1]:8443")).toStrictEqual({ host: "::1", port: 8443 });
    expect(parseAuthority("pypi.org")).toBeUndefined();
    expect(parseAuthority("pypi.org:0")).toBeUndefined();
    expect(parseAuthority("pypi.org:99999")).toBeUndefined();
    expect(parseAuthority("user@pypi.org:443")).toBeUndefined();
  });
});

describe("readServerName", () => {
  it("reads the SNI of a real ClientHello, null without one, undefined for other bytes", async () => {
    expect(readServerName(await captureClientHello("Allowed.Test"))).toBe("Allowed.Test");
    expect(readServerName(await captureClientHello(undefined))).toBeNull();
    expect(readServerName(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toBeUndefined();
    const hello = await captureClientHello("allowed.test");
    expect(readServerName(hello.subarray(0, 40))).toBeUndefined(); // incomplete record
  });
});

describe("the egress proxy server", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return (server.address() as AddressInfo).port;
  }

  /** The upstream servers of these tests listen on loopback, so private addresses are allowed unless a test says no. */
  async function startProxy(allowPrivateAddresses = true): Promise<{ port: number; events: EgressEvent[] }> {
    const events: EgressEvent[] = [];
    const server = createEgressProxyServer({ policy, log: (event) => events.push(event), allowPrivateAddresses });
    const sockets = new Set<Socket>();
    server.on("connection", (socket: Socket) => sockets.add(socket));
    closers.push(async () => sockets.forEach((socket) => socket.destroy()));
    return { port: await listen(server), events };
  }

  async function startUpstream(): Promise<{
    port: number;
    seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }>;
  }> {
    const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];
    const server = createHttpServer((request, response) => {
      seen.push({ method: request.method, url: request.url, headers: request.headers });
      response.end("hello from upstream");
    });
    server.keepAliveTimeout = 1;
    return { port: await listen(server), seen };
  }

  /** One raw HTTP/1.1 request to the proxy, as a client configured with HTTP_PROXY sends it. */
  async function viaProxy(proxyPort: number, requestLine: string, headers: string[] = []): Promise<string> {
    const socket = connectTcp(proxyPort, "127.0.0.1");
    socket.write(`${requestLine}\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  it("forwards plain HTTP to an allowed host, with the Host header of the checked host", async () => {
    const proxy = await startProxy();
    const upstream = await startUpstream();
    const answer = await viaProxy(proxy.port, `GET http://127.0.0.1:${upstream.port}/simple/?token=abc HTTP/1.1`, [
      "Host: denied.test",
      "Proxy-Authorization: Basic eA==",
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain("hello from upstream");
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0]).toMatchObject({ method: "GET", url: "/simple/?token=abc" });
    expect(upstream.seen[0]!.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(upstream.seen[0]!.headers["proxy-authorization"]).toBeUndefined();
    expect(proxy.events).toContainEqual({
      event: "allowed",
      method: "GET",
      host: "127.0.0.1",
      port: upstream.port,
      path: "/simple/",
      status: 200,
    });
  });

  it("denies a host outside the allowlist and a method outside the list, logging no query string", async () => {
    const proxy = await startProxy();
    const upstream = await startUpstream();
    const deniedHost = await viaProxy(proxy.port, `GET http://localhost:${upstream.port}/x?secret=1 HTTP/1.1`, [
      "Host: localhost",
    ]);
    expect(deniedHost).toMatch(/^HTTP\/1\.1 403/);
    expect(deniedHost).toContain("localhost is not in internet.allow");
    const deniedMethod = await viaProxy(proxy.port, `POST http://127.0.0.1:${upstream.port}/upload?secret=2 HTTP/1.1`, [
      "Host: 127.0.0.1",
      "Content-Length: 0",
    ]);
    expect(deniedMethod).toMatch(/^HTTP\/1\.1 405/);
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.events).toStrictEqual([
      { event: "denied", reason: "host", method: "GET", host: "localhost", port: upstream.port, path: "/x" },
      { event: "denied", reason: "method", method: "POST", host: "127.0.0.1", port: upstream.port, path: "/upload" },
    ]);
    expect(JSON.stringify(proxy.events)).not.toContain("secret");
  });

  it("by default denies an allowed name that resolves to a private address, over HTTP and CONNECT", async () => {
    const proxy = await startProxy(false);
    const upstream = await startUpstream();
    const answer = await viaProxy(proxy.port, `GET http://127.0.0.1:${upstream.port}/ HTTP/1.1`, ["Host: 127.0.0.1"]);
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain("private address");
    expect(await viaProxy(proxy.port, `CONNECT 127.0.0.1:${upstream.port} HTTP/1.1`, ["Host: 127.0.0.1"])).toMatch(
      /^HTTP\/1\.1 403/,
    );
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.events.map((event) => "reason" in event && event.reason)).toStrictEqual(["address", "address"]);
  });

  it("refuses requests that are not meant for a proxy", async () => {
    const proxy = await startProxy();
    expect(await viaProxy(proxy.port, "GET /local HTTP/1.1", ["Host: 127.0.0.1"])).toMatch(/^HTTP\/1\.1 400/);
    expect(await viaProxy(proxy.port, "GET https://pypi.org/ HTTP/1.1", ["Host: pypi.org"])).toMatch(/^HTTP\/1\.1 400/);
    expect(proxy.events).toStrictEqual([]);
  });

  it("tunnels CONNECT to an allowed host and passes the TLS ClientHello on", async () => {
    const proxy = await startProxy();
    const received: Buffer[] = [];
    const upstream = createTcpServer((socket) =>
      socket.on("data", (chunk) => received.push(chunk)).on("error", () => undefined),
    );
    const upstreamPort = await listen(upstream);
    const socket = await openTunnel(proxy.port, `127.0.0.1:${upstreamPort}`);
    const tls = connectTls({ socket, servername: undefined, rejectUnauthorized: false });
    tls.on("error", () => undefined);
    await waitUntil(() => Buffer.concat(received).length > 0);
    expect(Buffer.concat(received)[0]).toBe(0x16);
    expect(proxy.events).toContainEqual({ event: "allowed", method: "CONNECT", host: "127.0.0.1", port: upstreamPort });
    tls.destroy();
  });

  it("closes a tunnel whose TLS server name is not the CONNECT host", async () => {
    const proxy = await startProxy();
    const received: Buffer[] = [];
    const upstream = createTcpServer((socket) =>
      socket.on("data", (chunk) => received.push(chunk)).on("error", () => undefined),
    );
    const upstreamPort = await listen(upstream);
    const socket = await openTunnel(proxy.port, `127.0.0.1:${upstreamPort}`);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    const tls = connectTls({ socket, servername: "denied.test", rejectUnauthorized: false });
    tls.on("error", () => undefined);
    await closed;
    expect(received).toStrictEqual([]);
    expect(proxy.events).toContainEqual({
      event: "denied",
      reason: "sni",
      method: "CONNECT",
      host: "127.0.0.1",
      port: upstreamPort,
      serverName: "denied.test",
    });
  });

  it("refuses CONNECT to a host outside the allowlist", async () => {
    const proxy = await startProxy();
    const answer = await viaProxy(proxy.port, "CONNECT denied.test:443 HTTP/1.1", ["Host: denied.test:443"]);
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(proxy.events).toStrictEqual([
      { event: "denied", reason: "host", method: "CONNECT", host: "denied.test", port: 443 },
    ]);
  });
});

/** Sends CONNECT and resolves with the socket once the proxy answered 200. */
async function openTunnel(proxyPort: number, authority: string): Promise<Socket> {
  const socket = connectTcp(proxyPort, "127.0.0.1");
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  const head = await new Promise<string>((resolve, reject) => {
    socket.once("data", (chunk) => resolve(chunk.toString("utf8")));
    socket.once("error", reject);
  });
  expect(head).toMatch(/^HTTP\/1\.1 200/);
  return socket;
}

/** The first bytes a TLS client sends (its ClientHello), captured by a plain TCP server on loopback. */
async function captureClientHello(servername: string | undefined): Promise<Buffer> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const first = new Promise<Buffer>((resolve) => server.once("connection", (socket) => socket.once("data", resolve)));
    const client = connectTls({
      host: "127.0.0.1",
      port: (server.address() as AddressInfo).port,
      servername,
      rejectUnauthorized: false,
    });
    client.on("error", () => undefined);
    const hello = await first;
    client.destroy();
    return hello;
  } finally {
    server.close();
  }
}

/** Polls for a condition the code under test reaches on its own (a log line, a closed socket); fails if it never does. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i >= 250) throw new Error("the condition never held");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
