import type { Server } from "node:http";

import type { EgressPolicy } from "../config/network-policy.js";

export type { EgressPolicy };

/** One decision of the proxy, as it writes it to stdout (one JSON object per line). */
export type EgressEvent =
  | { event: "listening"; port: number }
  | {
      event: "allowed" | "denied" | "failed";
      /**
       * Why a request was denied: a host outside the allowlist, a method outside it, a TLS server name other than the
       * CONNECT host, or an allowed name that resolves to a private address.
       */
      reason?: "host" | "method" | "sni" | "address";
      method: string;
      host: string;
      port: number;
      /** Plain HTTP only; never with a query string. */
      path?: string;
      status?: number;
      serverName?: string;
      address?: string;
      error?: string;
    };

export function normalizeHost(host: string): string;
export function isHostAllowed(policy: EgressPolicy, host: string): boolean;
export function isMethodAllowed(policy: EgressPolicy, method: string): boolean;
export function pathForLog(target: string): string;
export function readServerName(data: Buffer): string | null | undefined;
export function parseAuthority(authority: string): { host: string; port: number } | undefined;
export function isPrivateAddress(address: string): boolean;
export function createEgressProxyServer(options: {
  policy: EgressPolicy;
  log: (event: EgressEvent) => void;
  allowPrivateAddresses?: boolean;
}): Server;
