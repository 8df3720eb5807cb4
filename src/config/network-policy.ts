import { codeSpan } from "./format-issues.js";
import { INTERNET_PRESETS } from "./internet-presets.js";

/** What the proxy admits; built from `internet.allow` and `internet.methods` by compileEgressPolicy. */
export interface EgressPolicy {
  /** Exact host names (lower case). */
  hosts: string[];
  /** `*.example.com` is stored as `example.com` and admits every name below it, not the name itself. */
  domains: string[];
  /** Upper case; checked only where the proxy sees the method (plain HTTP). */
  methods: string[];
}

/** The methods `internet.methods` may name; CONNECT is how HTTPS reaches an allowed host and needs no entry. */
export const HTTP_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const DEFAULT_METHODS: HttpMethod[] = ["GET", "HEAD", "OPTIONS"];

export type AllowEntry =
  | { kind: "host"; host: string }
  /** `*.example.com`, stored without `*.`. */
  | { kind: "domain"; domain: string }
  | { kind: "preset"; name: string };

export type AllowEntryResult = { ok: true; entry: AllowEntry; text: string } | { ok: false; problem: string };

const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
/** At least two labels: a name without a dot is read as a preset name. */
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
const PRESET_NAME = /^[a-z0-9-]+$/;
const EXPECTATION =
  "a host such as `pypi.org`, a wildcard such as `*.npmjs.org`, or a preset such as `common-dependencies`";

/** Reads one `internet.allow` entry: a host, a `*.` wildcard, or the name of a preset. */
export function parseAllowEntry(raw: string): AllowEntryResult {
  const text = raw.trim().toLowerCase().replace(/\.$/, "");
  if (text === "*") {
    return { ok: false, problem: "`*` would allow every host; use `internet.agent: unrestricted` for that" };
  }
  if (text.startsWith("*.") && HOST_NAME.test(text.slice(2)))
    return { ok: true, entry: { kind: "domain", domain: text.slice(2) }, text };
  if (/^\*\.[a-z0-9-]+$/.test(text)) {
    return {
      ok: false,
      problem: `${codeSpan(raw)} would allow a whole top-level domain; name a domain below it, such as \`*.example${text.slice(1)}\``,
    };
  }
  if (HOST_NAME.test(text)) return { ok: true, entry: { kind: "host", host: text }, text };
  if (PRESET_NAME.test(text)) {
    if (Object.hasOwn(INTERNET_PRESETS, text)) return { ok: true, entry: { kind: "preset", name: text }, text };
    const known = Object.keys(INTERNET_PRESETS).map(codeSpan).join(", ");
    return {
      ok: false,
      problem: `unknown preset ${codeSpan(raw)} (presets: ${known}); a host name has a dot, such as \`${text}.com\``,
    };
  }
  const hostOfUrl = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/.exec(text)?.[1];
  if (hostOfUrl !== undefined)
    return { ok: false, problem: `${codeSpan(raw)} is a URL; write its host alone, such as ${codeSpan(hostOfUrl)}` };
  return { ok: false, problem: `expected ${EXPECTATION}, got ${codeSpan(raw)}` };
}

/**
 * What the egress proxy admits for an `internet` config whose entries passed parseAllowEntry (the config schema
 * checks them): presets expanded, duplicates dropped.
 */
export function compileEgressPolicy(internet: { allow: readonly string[]; methods: readonly string[] }): EgressPolicy {
  const hosts = new Set<string>();
  const domains = new Set<string>();
  const add = (text: string) => {
    const result = parseAllowEntry(text);
    if (!result.ok) throw new Error(`invalid internet.allow entry ${JSON.stringify(text)}: ${result.problem}`);
    const { entry } = result;
    if (entry.kind === "host") hosts.add(entry.host);
    else if (entry.kind === "domain") domains.add(entry.domain);
    else INTERNET_PRESETS[entry.name]?.forEach(add);
  };
  internet.allow.forEach(add);
  return {
    hosts: [...hosts],
    domains: [...domains],
    methods: [...new Set(internet.methods.map((m) => m.toUpperCase()))],
  };
}
