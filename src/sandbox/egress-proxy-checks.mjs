// The egress proxy's checks: names, ports, addresses, request framing and the TLS ClientHello. Pure functions, used by
// egress-proxy-server.mjs. Both files run in the proxy's container as one program (egress-proxy.ts bundles them with
// ipaddr.js), so this file imports nothing but ipaddr.js, and that import is its first line.
import ipaddr from "ipaddr.js";

const LOG_PATH_LENGTH = 200;
/** A ClientHello is at most 2^24 bytes in theory; real ones are under 2 KiB, so waiting for more is not worth it. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;
/** The only CONNECT port unless the operator allows more (TASKBOX_EGRESS_CONNECT_PORTS). */
export const HTTPS_PORT = 443;

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

/** Splits `host:port` (IPv6 in brackets) as a CONNECT request names its target; undefined when malformed. */
export function parseAuthority(authority) {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(authority);
  const port = match ? Number(match[2]) : 0;
  return match && port > 0 && port < 65536 ? { host: normalizeHost(match[1]), port } : undefined;
}

// ipaddr.js's names of ranges that are never reachable, whatever the operator lists: the host itself, the link (cloud
// metadata services live there), and IPv6 forms that carry an IPv4 address inside, which would route around the rules.
const NEVER_RANGES = new Set([
  "unspecified",
  "loopback",
  "linkLocal",
  "broadcast",
  "multicast",
  "ipv4Mapped",
  "rfc6052",
  "rfc6145",
  "6to4",
  "teredo",
]);
/** Metadata services outside link-local: Alibaba Cloud (100.100.100.200), AWS over IPv6 (fd00:ec2::254). */
const METADATA_ADDRESSES = ["100.100.100.200", "fd00:ec2::254"].map((address) => ipaddr.parse(address).toString());

/** Parses TASKBOX_EGRESS_ALLOWED_RANGES entries (CIDR); throws on a malformed one. */
export function parseAllowedRanges(ranges) {
  return ranges.map((range) => ipaddr.parseCIDR(range));
}

/**
 * Whether the proxy may connect to an address: public unicast addresses, and those in the operator's allowed ranges
 * (registries on a private network). Never loopback, link-local, metadata services or IPv4-in-IPv6 forms.
 * Returns undefined when allowed, else the name of the address's range for the log and the status comment.
 */
export function reservedRangeOf(address, allowedRanges) {
  if (!ipaddr.isValid(address)) return "invalid";
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (NEVER_RANGES.has(range)) return range;
  if (METADATA_ADDRESSES.includes(parsed.toString())) return "metadata";
  if (range === "unicast") return undefined;
  const listed = allowedRanges.some(
    ([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits),
  );
  return listed ? undefined : range;
}

/**
 * Why a plain HTTP request's framing is ambiguous (request smuggling: the upstream server might read another request
 * out of its body), or undefined. Node's parser already refuses Content-Length with Transfer-Encoding.
 */
export function framingProblem(method, headers) {
  const encoding = headers["transfer-encoding"];
  const length = headers["content-length"];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "chunked") {
    return `Transfer-Encoding ${JSON.stringify(encoding)} (only chunked is forwarded)`;
  }
  if (encoding !== undefined && length !== undefined) return "both Transfer-Encoding and Content-Length";
  const bodyless = ["GET", "HEAD", "DELETE", "OPTIONS", "TRACE"].includes(method.toUpperCase());
  if (bodyless && (encoding !== undefined || (length !== undefined && length !== "0"))) {
    return `a body on ${method.toUpperCase()}`;
  }
  return undefined;
}

/**
 * Reads the ClientHello at the start of a tunnel, reassembled from TLS handshake records however they were split over
 * records and TCP segments. `{ state: "incomplete" }` asks for more bytes; `not-tls` and `invalid` end the wait;
 * `complete` carries the server name (null without an SNI extension).
 */
export function readClientHello(data) {
  if (data.length === 0) return { state: "incomplete" };
  if (data[0] !== 0x16) return { state: "not-tls" };
  const handshake = [];
  let handshakeBytes = 0;
  let at = 0;
  while (at + 5 <= data.length) {
    if (data[at] !== 0x16) return { state: "invalid" };
    const recordEnd = at + 5 + data.readUInt16BE(at + 3);
    if (recordEnd > data.length) break;
    handshake.push(data.subarray(at + 5, recordEnd));
    handshakeBytes += recordEnd - at - 5;
    at = recordEnd;
    const message = Buffer.concat(handshake, handshakeBytes);
    if (message.length >= 4) {
      if (message[0] !== 0x01) return { state: "invalid" };
      const messageEnd = 4 + message.readUIntBE(1, 3);
      if (message.length >= messageEnd) {
        const serverName = serverNameOf(message.subarray(4, messageEnd));
        return serverName === undefined ? { state: "invalid" } : { state: "complete", serverName };
      }
    }
  }
  return data.length >= MAX_CLIENT_HELLO_BYTES ? { state: "invalid" } : { state: "incomplete" };
}

/** The SNI host name in a ClientHello body: a string, null without one, undefined when malformed. */
function serverNameOf(body) {
  let at = 2 + 32; // client version, random
  const skip = (lengthBytes) => {
    if (at + lengthBytes > body.length) return false;
    at += lengthBytes + body.readUIntBE(at, lengthBytes);
    return at <= body.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return undefined; // session id, cipher suites, compression methods
  if (at === body.length) return null; // no extensions at all
  if (at + 2 > body.length) return undefined;
  const extensionsEnd = at + 2 + body.readUInt16BE(at);
  if (extensionsEnd > body.length) return undefined;
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    at += 4;
    if (at + length > extensionsEnd) return undefined;
    // server_name: list length (2), then entries of name type (1), length (2), name; only a host_name entry counts.
    if (type === 0x0000) {
      if (length < 5 || body[at + 2] !== 0) return undefined;
      const nameLength = body.readUInt16BE(at + 3);
      if (5 + nameLength > length) return undefined;
      return body.subarray(at + 5, at + 5 + nameLength).toString("ascii");
    }
    at += length;
  }
  return null;
}
