// The egress proxy of `internet.agent: limited`. Taskbox runs this file with `node --input-type=module -e` in a
// container attached to the sandbox's internal network and to the outside network, bundled with
// egress-proxy-checks.mjs and ipaddr.js (egress-proxy.ts), so it imports nothing but Node's own modules and the checks
// (whose import line the bundle drops), and runs on the sandbox image's Node (18). Its types are in
// egress-proxy-server.d.mts.
import { createServer, request as httpRequest } from "node:http";
import { lookup as dnsLookup } from "node:dns";
import { connect, isIP } from "node:net";
import {
  framingProblem,
  HTTPS_PORT,
  isHostAllowed,
  isMethodAllowed,
  normalizeHost,
  parseAllowedRanges,
  parseAuthority,
  pathForLog,
  readClientHello,
  reservedRangeOf,
} from "./egress-proxy-checks.mjs";

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

/**
 * An HTTP proxy that admits plain HTTP requests (absolute-form, unambiguously framed) to allowed hosts with allowed
 * methods, and CONNECT tunnels to allowed hosts on port 443 (and `connectPorts`) whose TLS ClientHello names the
 * CONNECT host. An allowed name must resolve to a public address or one in `allowedRanges` (CIDR strings).
 * `log` receives one plain object per decision; nothing else leaves the server. `lookup` and `dial` (address and port
 * to the socket's target) exist for tests.
 */
export function createEgressProxyServer({
  policy,
  log,
  allowedRanges = [],
  connectPorts = [HTTPS_PORT],
  lookup = dnsLookup,
  dial = (address, port) => ({ host: address, port }),
}) {
  const proxy = { policy, log, ranges: parseAllowedRanges(allowedRanges), connectPorts, lookup, dial };
  const server = createServer((request, response) => forwardHttp(proxy, request, response));
  server.on("connect", (request, socket, head) => tunnel(proxy, request, socket, head));
  server.on("clientError", (error, socket) => {
    // Bytes after a refusal that closed the connection, or a client that went away: nothing to decide.
    if (error.code === "HPE_CLOSED_CONNECTION" || error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    // Node's parser refuses what it cannot frame (Content-Length with Transfer-Encoding, bad chunks).
    log({ event: "denied", reason: "framing", method: "?", host: "?", port: 0, problem: error.code ?? "parse error" });
    refuseOnSocket(socket, 400, "the request's framing is ambiguous or malformed");
  });
  return server;
}

/** The address to connect to for an allowed host: resolved once here, so the checked address is the one used. */
function resolveUpstream(proxy, host, entry, onAddress, onRefused) {
  const check = (address) => {
    const range = reservedRangeOf(address, proxy.ranges);
    if (range !== undefined) {
      proxy.log({ event: "denied", reason: "address", ...entry, address, range });
      onRefused(403, `${host} resolves to ${address}, a reserved address (${range})`);
    } else {
      onAddress(address);
    }
  };
  if (isIP(host)) {
    check(host);
    return;
  }
  proxy.lookup(host, (error, address) => {
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
  const problem = framingProblem(method, request.headers);
  if (problem !== undefined) {
    proxy.log({ event: "denied", reason: "framing", ...entry, problem });
    refuseRequest(response, 400, `ambiguous request framing: ${problem}`);
    // Nothing after it on this connection is read: its body may hold a smuggled request.
    response.once("finish", () => request.socket.destroy());
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
        { ...proxy.dial(address, port), method, path: `${target.pathname}${target.search}`, headers },
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
    refuseOnSocket(socket, 400, "CONNECT needs host:port");
    return;
  }
  const entry = { method: "CONNECT", host: target.host, port: target.port };
  if (!isHostAllowed(proxy.policy, target.host)) {
    proxy.log({ event: "denied", reason: "host", ...entry });
    refuseOnSocket(socket, 403, `${target.host} is not in internet.allow`);
    return;
  }
  // Any other port would carry plain HTTP, with methods the proxy never sees.
  if (!proxy.connectPorts.includes(target.port)) {
    proxy.log({ event: "denied", reason: "port", ...entry });
    refuseOnSocket(
      socket,
      403,
      `CONNECT to port ${target.port} is not allowed (only ${proxy.connectPorts.join(", ")})`,
    );
    return;
  }
  const refuse = (status, message) => refuseOnSocket(socket, status, message);
  resolveUpstream(
    proxy,
    target.host,
    entry,
    (address) => {
      let connected = false;
      const upstream = connect(proxy.dial(address, target.port));
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
        awaitClientHello(socket, head, (first, hello) => {
          if (socket.destroyed || upstream.destroyed) return;
          const refusal = helloRefusal(hello, target);
          if (refusal !== undefined) {
            proxy.log({ event: "denied", reason: "sni", ...entry, ...refusal });
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

/**
 * Why a tunnel's first bytes do not pass: on 443 they must be a ClientHello whose server name is the CONNECT host;
 * on a port the operator added, bytes that are not TLS pass (SSH speaks first from the server), a ClientHello is
 * checked the same way.
 */
function helloRefusal(hello, target) {
  if (hello.state === "not-tls" && target.port !== HTTPS_PORT) return undefined;
  if (hello.state !== "complete")
    return { problem: hello.state === "incomplete" ? "no ClientHello" : `${hello.state} ClientHello` };
  if (hello.serverName === null) return { problem: "no server name (SNI)" };
  const serverName = normalizeHost(hello.serverName);
  return serverName === target.host ? undefined : { serverName };
}

/** Collects the client's first bytes until they hold a whole ClientHello, are clearly not one, or time runs out. */
function awaitClientHello(socket, head, done) {
  let buffered = Buffer.from(head ?? []);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.pause();
    done(buffered, readClientHello(buffered));
  };
  const complete = () => readClientHello(buffered).state !== "incomplete";
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

function refuseOnSocket(socket, status, message) {
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
  const allowedRanges = JSON.parse(process.env.TASKBOX_EGRESS_ALLOWED_RANGES ?? "[]");
  const connectPorts = JSON.parse(process.env.TASKBOX_EGRESS_CONNECT_PORTS ?? "[443]");
  const log = (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`);
  createEgressProxyServer({ policy, log, allowedRanges, connectPorts }).listen(port, "0.0.0.0", () =>
    log({ event: "listening", port }),
  );
}
