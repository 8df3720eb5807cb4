export const MAX_CLIENT_HELLO_BYTES: number;
export const HTTPS_PORT: number;
export function normalizeHost(host: string): string;
export function isHostAllowed(policy: { hosts: string[]; domains: string[] }, host: string): boolean;
export function isMethodAllowed(policy: { methods: string[] }, method: string): boolean;
export function pathForLog(target: string): string;
export function parseAuthority(authority: string): { host: string; port: number } | undefined;
export function parseAllowedRanges(ranges: string[]): unknown[];
/** undefined when the proxy may connect to the address; else the name of its range. */
export function reservedRangeOf(address: string, allowedRanges: unknown[]): string | undefined;
export function framingProblem(
  method: string,
  headers: Record<string, string | string[] | undefined>,
): string | undefined;
export type ClientHello =
  { state: "incomplete" | "not-tls" | "invalid" } | { state: "complete"; serverName: string | null };
export function readClientHello(data: Buffer): ClientHello;
