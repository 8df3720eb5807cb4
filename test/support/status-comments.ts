/** Reading Taskbox's status comments the way a maintainer does: by their headline, not by words anywhere. */

const HEADLINE = /^\*\*Taskbox\*\* · (.+)$/m;
// Succeeded, ready, pushed; answered; cancelled; failed or interrupted.
const FINAL_HEADLINE = /^(?:✅|💬|🛑|❌) /;

/** The headline of a status comment (e.g. "💬 Answered"), undefined for any other comment. */
export function headlineOf(body: string): string | undefined {
  return HEADLINE.exec(body)?.[1];
}

/**
 * Whether a status comment shows a final state. Matching words anywhere would also match a command like
 * `echo dns-failed` shown while the task still runs.
 */
export function isFinalStatus(body: string): boolean {
  return body.includes("taskbox:task=") && FINAL_HEADLINE.test(headlineOf(body) ?? "");
}
