import type { Server } from "node:http";

import type { EgressPolicy } from "../config/network-policy.js";

export type { EgressPolicy };

/**
 * Why a request was denied: a host outside the allowlist, a method outside it, a CONNECT port other than 443 and the
 * operator's, a tunnel without a ClientHello naming the CONNECT host (`serverName` when it named another, `problem`
 * otherwise), an allowed name that resolved to a reserved address (`address`, `range`), or ambiguous framing (`problem`).
 */
export type DenialReason = "host" | "method" | "port" | "sni" | "address" | "framing";

/** One decision of the proxy, as it writes it to stdout (one JSON object per line). */
export type EgressEvent =
  | { event: "listening"; port: number }
  | {
      event: "allowed" | "denied" | "failed";
      reason?: DenialReason;
      method: string;
      host: string;
      port: number;
      /** Plain HTTP only; never with a query string. */
      path?: string;
      status?: number;
      serverName?: string;
      address?: string;
      /** ipaddr.js's name of a reserved address's range, such as "private" or "loopback". */
      range?: string;
      problem?: string;
      error?: string;
    };

export function createEgressProxyServer(options: {
  policy: EgressPolicy;
  log: (event: EgressEvent) => void;
  /** CIDR ranges besides public unicast that allowed names may resolve to; never loopback, link-local or metadata. */
  allowedRanges?: string[];
  /** Ports CONNECT may reach; [443] by default. */
  connectPorts?: number[];
  lookup?: (host: string, callback: (error: NodeJS.ErrnoException | null, address: string) => void) => void;
  dial?: (address: string, port: number) => { host: string; port: number };
}): Server;
