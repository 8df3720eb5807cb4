// The egress proxy of `internet.agent: limited`. Taskbox runs this file with `node --input-type=module -e` in a
// container attached to the sandbox's internal network and to the outside network, so it must stay one
// self-contained ES module with no imports but Node's own, and run on the sandbox image's Node (18).
// Its types are in egress-proxy-server.d.mts.
import { createServer, request as httpRequest } from "node:http";
import { lookup as dnsLookup } from "node:dns";
import { BlockList, connect, isIP } from "node:net";

const LOG_PATH_LENGTH = 200;
/** A TLS record carries at most 2^14 bytes of payload; a ClientHello beyond that is not worth waiting for. */
const MAX_CLIENT_HELLO_BYTES = 5 + 16 * 1024;
const CLIENT_HELLO_WAIT_MS = 10_000;
// Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy's own credentials never travel upstream.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Lower case, without a trailing dot or IPv6 brackets: the form allow entries are written in. */
export function normalizeHost(host) {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}

export function isHostAllowed(policy, host) {
  const name = normalizeHost(host);
  return policy.hosts.includes(name) || policy.domains.some((domain) => name.endsWith(`.${domain}`));
}

export function isMethodAllowed(policy, method) {
  return policy.methods.includes(method.toUpperCase());
}

/** The path of a request target for the log: never its query string, which may carry tokens. */
export function pathForLog(target) {
  const path = target.replace(/[?#].*$/s, "");
  return path.length > LOG_PATH_LENGTH ? `${path.slice(0, LOG_PATH_LENGTH)}…` : path;
}

/**
 * The server name (SNI) of a TLS ClientHello at the start of `data`: a string, null when the record is a
 * ClientHello without one, or undefined when `data` is not a complete TLS handshake record.
 */
export function readServerName(data) {
  if (data.length < 5 || data[0] !== 0x16) return undefined;
  const recordEnd = 5 + data.readUInt16BE(3);
  if (data.length < recordEnd || data[5] !== 0x01) return undefined;
  let at = 5 + 4 + 2 + 32; // handshake header, client version, random
  const skip = (lengthBytes) => {
    if (at + lengthBytes > recordEnd) return false;
    at += lengthBytes + data.readUIntBE(at, lengthBytes);
    return at <= recordEnd;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return null; // session id, cipher suites, compression methods
  if (at + 2 > recordEnd) return null;
  const extensionsEnd = Math.min(recordEnd, at + 2 + data.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = data.readUInt16BE(at);
    const length = data.readUInt16BE(at + 2);
    at += 4;
    if (type === 0x0000 && at + 5 <= extensionsEnd) {
      // server_name_list: list length (2), then entries of name type (1), length (2), name.
      const nameLength = data.readUInt16BE(at + 3);
      if (data[at + 2] === 0 && at + 5 + nameLength <= extensionsEnd) {
        return data.subarray(at + 5, at + 5 + nameLength).toString("ascii");
      }
      return null;
    }
    at += length;
  }
  return null;
}

/** Splits `host:port` (IPv6 in brackets) as a CONNECT request names its target; undefined when malformed. */
export function parseAuthority(authority) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(authority);
  const port = match ? Number(match[2]) : 0;
  return match && port > 0 && port < 65536 ? { host: normalizeHost(match[1]), port } : undefined;
}

/**
 * Whether an address is one the proxy must not connect an allowed name to: loopback, private, link-local (cloud
 * metadata), shared, multicast and reserved ranges, where the Docker host's and the LAN's own services live.
 */
export function isPrivateAddress(address) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE_RANGES.check(mapped[1], "ipv4");
  return PRIVATE_RANGES.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

const PRIVATE_RANGES = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
]) {
  PRIVATE_RANGES.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
]) {
  PRIVATE_RANGES.addSubnet(network, prefix, "ipv6");
}

/**
 * An HTTP proxy that admits plain HTTP requests (absolute-form) to allowed hosts with allowed methods, and
 * CONNECT tunnels to allowed hosts whose TLS server name, when the client sends one, is the CONNECT host.
 * Unless allowPrivateAddresses, an allowed name that resolves to a private address is denied too.
 * `log` receives one plain object per decision; nothing else leaves the server.
 */
export function createEgressProxyServer({ policy, log, allowPrivateAddresses = false }) {
  const proxy = { policy, log, allowPrivateAddresses };
  const server = createServer((request, response) => forwardHttp(proxy, request, response));
  server.on("connect", (request, socket, head) => tunnel(proxy, request, socket, head));
  server.on("clientError", (_error, socket) => socket.destroy());
  return server;
}

/** The address to connect to for an allowed host: resolved once here, so the checked address is the one used. */
function resolveUpstream(proxy, host, entry, onAddress, onRefused) {
  const check = (address) => {
    if (!proxy.allowPrivateAddresses && isPrivateAddress(address)) {
      proxy.log({ event: "denied", reason: "address", ...entry, address });
      onRefused(403, `${host} resolves to ${address}, a private address`);
    } else {
      onAddress(address);
    }
  };
  if (isIP(host)) {
    check(host);
    return;
  }
  dnsLookup(host, (error, address) => {
    if (!error) {
      check(address);
      return;
    }
    proxy.log({ event: "failed", ...entry, error: error.code ?? error.message });
    onRefused(502, `could not resolve ${host} (${error.code ?? error.message})`);
  });
}

function forwardHttp(proxy, request, response) {
  const method = request.method ?? "GET";
  let target;
  try {
    target = new URL(request.url ?? "");
  } catch {
    target = undefined;
  }
  if (!target || target.protocol !== "http:") {
    // Origin-form requests are not for a proxy, and https:// in absolute form would need TLS from the proxy.
    refuseRequest(
      response,
      400,
      "send plain HTTP requests in absolute form (http://host/path) and HTTPS through CONNECT",
    );
    return;
  }
  const host = normalizeHost(target.hostname);
  const port = Number(target.port || 80);
  const entry = { method, host, port, path: pathForLog(target.pathname) };
  if (!isHostAllowed(proxy.policy, host)) {
    proxy.log({ event: "denied", reason: "host", ...entry });
    refuseRequest(response, 403, `${host} is not in internet.allow`);
    return;
  }
  if (!isMethodAllowed(proxy.policy, method)) {
    proxy.log({ event: "denied", reason: "method", ...entry });
    refuseRequest(response, 405, `${method} is not in internet.methods`);
    return;
  }
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  }
  // The Host header names the site a shared server serves; it must be the host that was checked.
  headers.host = target.host;
  const refuse = (status, message) => refuseRequest(response, status, message);
  resolveUpstream(
    proxy,
    host,
    entry,
    (address) => {
      const upstream = httpRequest(
        { host: address, port, method, path: `${target.pathname}${target.search}`, headers },
        (answer) => {
          proxy.log({ event: "allowed", ...entry, status: answer.statusCode });
          const answerHeaders = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (!HOP_BY_HOP.has(name) && value !== undefined) answerHeaders[name] = value;
          }
          response.writeHead(answer.statusCode ?? 502, answerHeaders);
          answer.on("error", () => response.destroy());
          answer.pipe(response);
        },
      );
      upstream.on("error", (error) => {
        proxy.log({ event: "failed", ...entry, error: error.code ?? error.message });
        if (!response.headersSent) refuse(502, `could not reach ${host}:${port} (${error.code ?? error.message})`);
        else response.destroy();
      });
      request.on("error", () => upstream.destroy());
      request.pipe(upstream);
    },
    refuse,
  );
}

function tunnel(proxy, request, socket, head) {
  socket.on("error", () => socket.destroy());
  const target = parseAuthority(request.url ?? "");
  if (!target) {
    refuseTunnel(socket, 400, "CONNECT needs host:port");
    return;
  }
  const entry = { method: "CONNECT", host: target.host, port: target.port };
  if (!isHostAllowed(proxy.policy, target.host)) {
    proxy.log({ event: "denied", reason: "host", ...entry });
    refuseTunnel(socket, 403, `${target.host} is not in internet.allow`);
    return;
  }
  const refuse = (status, message) => refuseTunnel(socket, status, message);
  resolveUpstream(
    proxy,
    target.host,
    entry,
    (address) => {
      let connected = false;
      const upstream = connect({ host: address, port: target.port });
      upstream.on("error", (error) => {
        if (connected) {
          socket.destroy();
          return;
        }
        proxy.log({ event: "failed", ...entry, error: error.code ?? error.message });
        refuse(502, `could not reach ${target.host}:${target.port} (${error.code ?? error.message})`);
      });
      upstream.once("connect", () => {
        connected = true;
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        // Server-speaks-first protocols (SSH) need this direction at once; the client's first bytes are checked below.
        upstream.pipe(socket);
        awaitClientHello(socket, head, (first) => {
          if (socket.destroyed || upstream.destroyed) return;
          const serverName = readServerName(first);
          if (typeof serverName === "string" && normalizeHost(serverName) !== target.host) {
            proxy.log({ event: "denied", reason: "sni", ...entry, serverName: normalizeHost(serverName) });
            upstream.destroy();
            socket.destroy();
            return;
          }
          proxy.log({ event: "allowed", ...entry });
          upstream.write(first);
          socket.pipe(upstream);
        });
        upstream.once("close", () => socket.destroy());
      });
      socket.once("close", () => upstream.destroy());
    },
    refuse,
  );
}

/** Collects the client's first bytes until they hold a whole TLS record, are clearly not TLS, or time runs out. */
function awaitClientHello(socket, head, done) {
  let buffered = Buffer.from(head ?? []);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
    done(buffered);
  };
  const complete = () =>
    buffered.length >= MAX_CLIENT_HELLO_BYTES ||
    (buffered.length >= 1 && buffered[0] !== 0x16) ||
    (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt16BE(3));
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (complete()) finish();
  };
  const timer = setTimeout(finish, CLIENT_HELLO_WAIT_MS);
  if (complete()) {
    finish();
    return;
  }
  socket.on("data", onData);
}

function refuseRequest(response, status, message) {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  response.end(`Taskbox egress proxy: ${message}\n`);
}

function refuseTunnel(socket, status, message) {
  const body = `Taskbox egress proxy: ${message}\n`;
  const reason = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" }[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

// Started by Taskbox: the policy and port come from the environment, decisions go to stdout as JSON lines.
if (process.env.TASKBOX_EGRESS_POLICY !== undefined) {
  const policy = JSON.parse(process.env.TASKBOX_EGRESS_POLICY);
  const port = Number(process.env.TASKBOX_EGRESS_PORT ?? 3128);
  const allowPrivateAddresses = process.env.TASKBOX_EGRESS_ALLOW_PRIVATE === "true";
  const log = (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`);
  createEgressProxyServer({ policy, log, allowPrivateAddresses }).listen(port, "0.0.0.0", () =>
    log({ event: "listening", port }),
  );
}
