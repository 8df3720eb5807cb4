/** Reading Taskbox's status comments the way a maintainer does: by their headline, not by words anywhere. */

const HEADLINE = /^\*\*Taskbox\*\* · (.+)$/m;
// Succeeded, ready, pushed; answered; cancelled; failed or interrupted.
const FINAL_HEADLINE = /^(?:✅|💬|🛑|❌) /;

// A final headline ends with how long the task took ("💬 Answered in 7.2s", "❌ Agent failed in 1m 05s").
const DURATION_SUFFIX = / in (?:\d+h \d{2}m|\d+m \d{2}s|\d+\.\ds)$/;

/** The headline of a status comment without its duration (e.g. "💬 Answered"), undefined for any other comment. */
export function headlineOf(body: string): string | undefined {
  return HEADLINE.exec(body)?.[1]?.replace(DURATION_SUFFIX, "");
}

/**
 * Whether a status comment shows a final state. Matching words anywhere would also match a command like
 * `echo dns-failed` shown while the task still runs.
 */
export function isFinalStatus(body: string): boolean {
  return body.includes("taskbox:task=") && FINAL_HEADLINE.test(headlineOf(body) ?? "");
}
