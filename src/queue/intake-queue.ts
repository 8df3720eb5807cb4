import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  INTAKE_JOB_NAME,
  INTAKE_QUEUE_NAME,
  digestOfPayload,
  jobIdForIntake,
  type IntakeJobData,
} from "./intake-job.js";

/** As long as GitHub's deliveries API remembers a delivery (recover-deliveries.ts), and then some. */
const SEVEN_DAYS_S = 7 * 24 * 3600;

export type IntakeQueue = Queue<IntakeJobData>;

export function createIntakeQueue(connection: Redis, prefix: string): IntakeQueue {
  return new Queue<IntakeJobData>(INTAKE_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      // An intake step that met a GitHub or Redis failure is safe to run again: its task id comes from the delivery,
      // its status comment is found again by its marker, and a queued task is never queued twice.
      attempts: 5,
      backoff: { type: "exponential", delay: 2_000 },
      // Kept, so that a delivery seen before (same delivery id, or the same signed body) is recognised and dropped.
      removeOnComplete: { age: SEVEN_DAYS_S },
      removeOnFail: { age: SEVEN_DAYS_S },
    },
  });
}

/**
 * Queues a webhook for the intake step unless the same signed body is already queued or was taken in, and says
 * which. A delivery id is unique to one body, so the body's digest covers redeliveries too.
 */
export async function enqueueIntake(
  queue: IntakeQueue,
  data: IntakeJobData,
): Promise<{ jobId: string; duplicateOf?: string }> {
  const jobId = jobIdForIntake(digestOfPayload(data.payload));
  const job = await queue.add(INTAKE_JOB_NAME, data, { jobId });
  // BullMQ keeps the first job under an id and returns it for a later add of the same id.
  return job.data.deliveryId === data.deliveryId ? { jobId } : { jobId, duplicateOf: job.data.deliveryId };
}
