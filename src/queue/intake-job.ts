import { createHash } from "node:crypto";
import { z } from "zod";

export const INTAKE_QUEUE_NAME = "intake";
export const INTAKE_JOB_NAME = "webhook";
export const INTAKE_JOB_VERSION = 1;

/** The webhook events Taskbox acts on, as GitHub names them in X-GitHub-Event. */
export const INTAKE_EVENTS = ["issue_comment", "issues", "pull_request"] as const;

/**
 * A recognised webhook, queued by the web process as it arrived, for the intake step to authorize and answer. Its
 * payload is GitHub's, already verified by its signature; it holds no token.
 */
export const intakeJobSchema = z.object({
  version: z.literal(INTAKE_JOB_VERSION),
  deliveryId: z.string().min(1),
  name: z.enum(INTAKE_EVENTS),
  payload: z.looseObject({ installation: z.object({ id: z.number() }) }),
});

export type IntakeJobData = z.infer<typeof intakeJobSchema>;

/**
 * The same signed body always has the same digest, whatever its delivery id says: a captured delivery replayed under
 * a new X-GitHub-Delivery maps to the job of the first one. GitHub's own redeliveries carry the same body too.
 */
export function digestOfPayload(payload: unknown): string {
  return createHash("sha256").update(JSON.stringify(payload)).digest("hex");
}

// BullMQ rejects custom ids with ":" or that look like integers; the prefix rules out both.
export function jobIdForIntake(digest: string): string {
  return `intake-${digest}`;
}
