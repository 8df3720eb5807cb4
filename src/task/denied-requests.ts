import { codeSpan } from "../config/format-issues.js";
import type { EgressDecision } from "../sandbox/egress-proxy.js";

/** Room for the list in one status note (render-status cuts notes at 300 characters). */
const NOTE_LIST_BUDGET = 170;
/** Entries kept per reason for the note; the rest are only counted. */
const SHOWN_PER_REASON = 6;
/** Distinct entries remembered at all; past it every further denial counts as one more, so memory stays bounded. */
export const MAX_TRACKED_DENIALS = 2000;

type Reason = NonNullable<EgressDecision["reason"]>;

/** What each reason's list is called in the note, in the note's order. */
const HEADINGS: Record<Reason, string> = {
  host: "hosts not in `internet.allow`",
  address: "hosts in `internet.allow` that resolved to reserved addresses (TASKBOX_EGRESS_ALLOWED_RANGES)",
  port: "CONNECT ports other than 443 (TASKBOX_EGRESS_CONNECT_PORTS)",
  sni: "tunnels whose TLS ClientHello did not name the host",
  method: "methods not in `internet.methods`",
  framing: "requests with ambiguous framing",
};

/** One denial in words, for the task's transcript. */
export function describeDenial(decision: EgressDecision): { entry: string; reason: string } {
  const reason = decision.reason ?? "host";
  return { entry: entryOf(decision, reason), reason: HEADINGS[reason] };
}

/** The entry a decision adds to its reason's list, in the words the maintainer needs to act on it. */
function entryOf(decision: EgressDecision, reason: Reason): string {
  switch (reason) {
    case "method":
      return `${decision.method} ${decision.host}`;
    case "address":
      return `${decision.host} (${decision.address ?? "?"})`;
    case "port":
      return `${decision.host}:${decision.port}`;
    case "sni":
      return decision.serverName
        ? `${decision.host} (named ${decision.serverName})`
        : `${decision.host} (${decision.problem ?? "no SNI"})`;
    case "framing":
      return `${decision.method} ${decision.host} (${decision.problem ?? "malformed"})`;
    default:
      return decision.host;
  }
}

/**
 * The denials of one task, for the note that tells a maintainer what the proxy refused and why. An agent can make
 * tens of thousands of requests, so each one costs O(1): bounded memory, and the note is built only when what it
 * shows changes, from at most SHOWN_PER_REASON entries per reason.
 */
export class DeniedRequests {
  readonly #tracked = new Set<string>();
  readonly #shown = new Map<Reason, string[]>();
  readonly #counts = new Map<Reason, number>();
  #notes: string[] | undefined;

  /** Records a denial; true when the note changed (a new entry), false for a repeat. */
  add(decision: EgressDecision): boolean {
    const reason = decision.reason ?? "host";
    const entry = entryOf(decision, reason);
    const key = `${reason}\n${entry}`;
    if (this.#tracked.has(key)) return false;
    if (this.#tracked.size < MAX_TRACKED_DENIALS) this.#tracked.add(key);
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    const shown = this.#shown.get(reason) ?? [];
    if (shown.length < SHOWN_PER_REASON) this.#shown.set(reason, [...shown, entry]);
    this.#notes = undefined;
    return true;
  }

  /** Distinct entries remembered (at most MAX_TRACKED_DENIALS). */
  get trackedSize(): number {
    return this.#tracked.size;
  }

  /** One note per reason, in a fixed order; built again only after a new denial. */
  notes(): string[] {
    this.#notes ??= (Object.keys(HEADINGS) as Reason[])
      .filter((reason) => this.#shown.has(reason))
      .map((reason) => {
        const list = listWithin(this.#shown.get(reason)!, this.#counts.get(reason)!, NOTE_LIST_BUDGET);
        return `The egress proxy (\`internet.agent: limited\`) denied ${HEADINGS[reason]}: ${list}.`;
      });
    return this.#notes;
  }
}

function listWithin(items: string[], total: number, budget: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    // Names come from the agent's requests: printable ASCII only, in a code span they cannot close.
    const span = codeSpan(item.replace(/[^\x20-\x7e]/g, "?"));
    if (shown.length > 0 && used + span.length + 2 > budget) break;
    shown.push(span);
    used += span.length + 2;
  }
  const rest = total - shown.length;
  return rest > 0 ? `${shown.join(", ")} and ${rest} more` : shown.join(", ");
}
