import type { Logger } from "pino";
import type { EgressDecision } from "./egress-proxy.js";

/** Denials logged one by one before the log only counts them; an agent can make tens of thousands. */
export const DENIALS_LOGGED_EACH = 50;
/** Past that, one line per this many denials. */
export const DENIALS_PER_SUMMARY = 1000;

/** Logs the first denials of a proxy, then a line per DENIALS_PER_SUMMARY: the log's volume stays bounded. */
export function denialLogger(log: Logger): (decision: EgressDecision) => void {
  let denials = 0;
  return (decision) => {
    denials++;
    if (denials <= DENIALS_LOGGED_EACH) log.warn({ decision }, "egress proxy denied a request");
    else if ((denials - DENIALS_LOGGED_EACH) % DENIALS_PER_SUMMARY === 0) {
      log.warn({ denials, last: decision }, "egress proxy keeps denying requests; logging only a count of them");
    }
  };
}
