import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import {
  framingProblem,
  isHostAllowed,
  isMethodAllowed,
  parseAllowedRanges,
  parseAuthority,
  pathForLog,
  readClientHello,
  reservedRangeOf,
} from "../../../src/sandbox/egress-proxy-checks.mjs";
import {
  createEgressProxyServer,
  type EgressEvent,
  type EgressPolicy,
} from "../../../src/sandbox/egress-proxy-server.mjs";

const policy: EgressPolicy = {
  hosts: ["pypi.org", "upstream.test", "private.test"],
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
    ["10.1.2.3", "private"],
    ["172.17.0.1", "private"],
    ["127.0.0.1", "loopback"],
    ["169.254.169.254", "linkLocal"], // cloud metadata
    ["100.100.100.200", "metadata"],
    ["203.0.113.80", "reserved"],
    ["::1", "loopback"],
    ["::127.0.0.1", "ipv4Mapped"],
    ["::ffff:10.0.0.1", "ipv4Mapped"],
    ["64:ff9b::a9fe:a9fe", "rfc6052"], // 169.254.169.254 through NAT64
    ["2002:7f00:1::", "6to4"],
    ["fec0::1", "deprecatedSiteLocal"],
    ["fd00:ec2::254", "metadata"],
    ["fe80::1", "linkLocal"],
    ["151.101.1.63", undefined],
    ["2a04:4e42::223", undefined],
  ])("address %s is reserved as %s", (address, range) => {
    expect(reservedRangeOf(address, [])).toBe(range);
  });

  it("allows the operator's ranges, but never loopback, link-local or metadata addresses", () => {
    const ranges = parseAllowedRanges([
      "10.20.0.0/16",
      "203.0.113.0/24",
      "127.0.0.0/8",
      "169.254.0.0/16",
      "100.64.0.0/10",
    ]);
    expect(reservedRangeOf("10.20.3.4", ranges)).toBeUndefined();
    expect(reservedRangeOf("203.0.113.80", ranges)).toBeUndefined();
    expect(reservedRangeOf("10.21.0.1", ranges)).toBe("private");
    expect(reservedRangeOf("127.0.0.1", ranges)).toBe("loopback");
    expect(reservedRangeOf("169.254.169.254", ranges)).toBe("linkLocal");
    expect(reservedRangeOf("100.100.100.200", ranges)).toBe("metadata");
    expect(reservedRangeOf("::ffff:10.20.3.4", ranges)).toBe("ipv4Mapped");
  });

  it.each([
    ["GET", { "transfer-encoding": "chunked" }, "a body on GET"],
    ["GET", { "content-length": "5" }, "a body on GET"],
    ["POST", { "transfer-encoding": "chunked", "content-length": "5" }, "both Transfer-Encoding and Content-Length"],
    ["POST", { "transfer-encoding": "gzip, chunked" }, 'Transfer-Encoding "gzip, chunked" (only chunked is forwarded)'],
    ["POST", { "transfer-encoding": "chunked" }, undefined],
    ["GET", { "content-length": "0" }, undefined],
  ])("%s with %o: framing problem %s", (method, headers, problem) => {
    expect(framingProblem(method, headers)).toBe(problem);
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

describe("readClientHello", () => {
  it("reads the SNI of a real ClientHello, null without one, not-tls for other bytes, incomplete for a part", async () => {
    expect(readClientHello(await captureClientHello("Allowed.Test"))).toStrictEqual({
      state: "complete",
      serverName: "Allowed.Test",
    });
    expect(readClientHello(await captureClientHello(undefined))).toStrictEqual({ state: "complete", serverName: null });
    expect(readClientHello(Buffer.from("GET / HTTP/1.1\r\n\r\n")).state).toBe("not-tls");
    const hello = await captureClientHello("allowed.test");
    expect(readClientHello(hello.subarray(0, 40)).state).toBe("incomplete");
  });

  it("reassembles a ClientHello split over several TLS records", async () => {
    const split = splitIntoRecords(await captureClientHello("allowed.test"), 50);
    expect(readClientHello(split)).toStrictEqual({ state: "complete", serverName: "allowed.test" });
    expect(readClientHello(split.subarray(0, split.length - 1)).state).toBe("incomplete");
  });
});

/** The same handshake message in records of at most `size` payload bytes, as a client may send it. */
function splitIntoRecords(hello: Buffer, size: number): Buffer {
  const message = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, at + size);
    const header = Buffer.from([0x16, hello[1]!, hello[2]!, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

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

  /**
   * upstream.test resolves to a TEST-NET address in the allowed ranges, private.test to a private one outside them;
   * every connection then goes to the test's upstream on loopback (`dial`), whatever address and port were checked.
   */
  async function startProxy(upstreamPort = 0): Promise<{ port: number; events: EgressEvent[] }> {
    const events: EgressEvent[] = [];
    const addresses: Record<string, string> = { "upstream.test": "198.51.100.7", "private.test": "10.1.2.3" };
    const server = createEgressProxyServer({
      policy,
      log: (event) => events.push(event),
      allowedRanges: ["198.51.100.0/24"],
      lookup: (host, callback) => callback(null, addresses[host] ?? "192.0.2.1"),
      dial: () => ({ host: "127.0.0.1", port: upstreamPort }),
    });
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
  async function viaProxy(proxyPort: number, requestLine: string, headers: string[] = [], body = ""): Promise<string> {
    const socket = connectTcp(proxyPort, "127.0.0.1");
    socket.write(`${requestLine}\r\n${[...headers, "Connection: close"].join("\r\n")}\r\n\r\n${body}`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  it("forwards plain HTTP to an allowed host, with the Host header of the checked host", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(upstream.port);
    const answer = await viaProxy(proxy.port, "GET http://upstream.test/simple/?token=abc HTTP/1.1", [
      "Host: denied.test",
      "Proxy-Authorization: Basic eA==",
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain("hello from upstream");
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.seen[0]).toMatchObject({ method: "GET", url: "/simple/?token=abc" });
    expect(upstream.seen[0]!.headers.host).toBe("upstream.test");
    expect(upstream.seen[0]!.headers["proxy-authorization"]).toBeUndefined();
    expect(proxy.events).toContainEqual({
      event: "allowed",
      method: "GET",
      host: "upstream.test",
      port: 80,
      path: "/simple/",
      status: 200,
    });
  });

  it("denies a host outside the allowlist and a method outside the list, logging no query string", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(upstream.port);
    const deniedHost = await viaProxy(proxy.port, "GET http://localhost/x?secret=1 HTTP/1.1", ["Host: localhost"]);
    expect(deniedHost).toMatch(/^HTTP\/1\.1 403/);
    expect(deniedHost).toContain("localhost is not in internet.allow");
    const deniedMethod = await viaProxy(proxy.port, "POST http://upstream.test/upload?secret=2 HTTP/1.1", [
      "Host: upstream.test",
      "Content-Length: 0",
    ]);
    expect(deniedMethod).toMatch(/^HTTP\/1\.1 405/);
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.events).toStrictEqual([
      { event: "denied", reason: "host", method: "GET", host: "localhost", port: 80, path: "/x" },
      { event: "denied", reason: "method", method: "POST", host: "upstream.test", port: 80, path: "/upload" },
    ]);
    expect(JSON.stringify(proxy.events)).not.toContain("secret");
  });

  it("denies an allowed name that resolves to a reserved address outside the allowed ranges, naming it", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(upstream.port);
    const answer = await viaProxy(proxy.port, "GET http://private.test/ HTTP/1.1", ["Host: private.test"]);
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain("resolves to 10.1.2.3, a reserved address (private)");
    expect(await viaProxy(proxy.port, "CONNECT private.test:443 HTTP/1.1", ["Host: private.test"])).toMatch(
      /^HTTP\/1\.1 403/,
    );
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.events.map((event) => "reason" in event && [event.reason, event.range])).toStrictEqual([
      ["address", "private"],
      ["address", "private"],
    ]);
  });

  it("refuses ambiguous framing with 400: a chunked GET, and Content-Length with Transfer-Encoding", async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(upstream.port);
    const smuggled = "0\r\n\r\nGET http://upstream.test/smuggled HTTP/1.1\r\nHost: upstream.test\r\n\r\n";
    const chunkedGet = await viaProxy(
      proxy.port,
      "GET http://upstream.test/ HTTP/1.1",
      ["Host: upstream.test", "Transfer-Encoding: chunked"],
      smuggled,
    );
    expect(chunkedGet).toMatch(/^HTTP\/1\.1 400/);
    const both = await viaProxy(
      proxy.port,
      "POST http://upstream.test/ HTTP/1.1",
      ["Host: upstream.test", "Content-Length: 4", "Transfer-Encoding: chunked"],
      "0\r\n\r\n",
    );
    expect(both).toMatch(/^HTTP\/1\.1 400/);
    expect(upstream.seen).toHaveLength(0);
    expect(proxy.events.map((event) => "reason" in event && event.reason)).toStrictEqual(["framing", "framing"]);
  });

  it("refuses requests that are not meant for a proxy", async () => {
    const proxy = await startProxy();
    expect(await viaProxy(proxy.port, "GET /local HTTP/1.1", ["Host: 127.0.0.1"])).toMatch(/^HTTP\/1\.1 400/);
    expect(await viaProxy(proxy.port, "GET https://pypi.org/ HTTP/1.1", ["Host: pypi.org"])).toMatch(/^HTTP\/1\.1 400/);
    expect(proxy.events).toStrictEqual([]);
  });

  function recordingUpstream() {
    const received: Buffer[] = [];
    const server = createTcpServer((socket) =>
      socket.on("data", (chunk) => received.push(chunk)).on("error", () => undefined),
    );
    return { server, received };
  }

  it("tunnels CONNECT to an allowed host on 443 and passes the ClientHello on, even split over records", async () => {
    const upstream = recordingUpstream();
    const proxy = await startProxy(await listen(upstream.server));
    const socket = await openTunnel(proxy.port, "upstream.test:443");
    const hello = splitIntoRecords(await captureClientHello("upstream.test"), 40);
    // Also split over TCP segments: the proxy must wait for the rest.
    socket.write(hello.subarray(0, 30));
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write(hello.subarray(30));
    await waitUntil(() => Buffer.concat(upstream.received).length >= hello.length);
    expect(Buffer.concat(upstream.received)).toStrictEqual(hello);
    expect(proxy.events).toContainEqual({ event: "allowed", method: "CONNECT", host: "upstream.test", port: 443 });
    socket.destroy();
  });

  it.each([
    ["another server name", "denied.test", { serverName: "denied.test" }],
    ["no server name", undefined, { problem: "no server name (SNI)" }],
  ])("closes a tunnel whose ClientHello has %s", async (_what, servername, detail) => {
    const upstream = recordingUpstream();
    const proxy = await startProxy(await listen(upstream.server));
    const socket = await openTunnel(proxy.port, "upstream.test:443");
    const closed = new Promise((resolve) => socket.once("close", resolve));
    const tls = connectTls({ socket, servername, rejectUnauthorized: false });
    tls.on("error", () => undefined);
    await closed;
    expect(upstream.received).toStrictEqual([]);
    expect(proxy.events).toContainEqual({
      event: "denied",
      reason: "sni",
      method: "CONNECT",
      host: "upstream.test",
      port: 443,
      ...detail,
    });
  });

  it("closes a tunnel on 443 that does not start with TLS", async () => {
    const upstream = recordingUpstream();
    const proxy = await startProxy(await listen(upstream.server));
    const socket = await openTunnel(proxy.port, "upstream.test:443");
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write("POST /upload HTTP/1.1\r\nHost: upstream.test\r\n\r\n");
    await closed;
    expect(upstream.received).toStrictEqual([]);
    expect(proxy.events.at(-1)).toMatchObject({ event: "denied", reason: "sni", problem: "not-tls ClientHello" });
  });

  it("refuses CONNECT to a host outside the allowlist, and to an allowed host on a port other than 443", async () => {
    const proxy = await startProxy();
    const answer = await viaProxy(proxy.port, "CONNECT denied.test:443 HTTP/1.1", ["Host: denied.test:443"]);
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    const port80 = await viaProxy(proxy.port, "CONNECT upstream.test:80 HTTP/1.1", ["Host: upstream.test:80"]);
    expect(port80).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(port80).toContain("port 80 is not allowed");
    expect(proxy.events).toStrictEqual([
      { event: "denied", reason: "host", method: "CONNECT", host: "denied.test", port: 443 },
      { event: "denied", reason: "port", method: "CONNECT", host: "upstream.test", port: 80 },
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
