import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { INTAKE_QUEUE_NAME, intakeJobSchema, type IntakeJobData } from "../queue/intake-job.js";

/**
 * GitHub asks integrations to make their requests serially rather than concurrently, or meet secondary rate limits;
 * an intake step is a handful of requests, so two at a time keep up with bursts without starving the webhook path
 * of the event loop it shares in the web process (`npm run bench`: the webhook answer's p99).
 */
const DEFAULT_INTAKE_CONCURRENCY = 2;

/**
 * Runs the intake step (web/intake.ts) for queued webhooks. Every process role runs one, the web role included, so
 * a webhook is acknowledged within about a second even while every task worker is busy.
 */
export function startIntakeWorker(options: {
  connection: Redis;
  prefix: string;
  intake: (webhook: IntakeJobData) => Promise<void>;
  log: Logger;
  concurrency?: number;
}): Worker<IntakeJobData> {
  const { log } = options;
  const worker = new Worker<IntakeJobData>(
    INTAKE_QUEUE_NAME,
    async (job) => {
      const parsed = intakeJobSchema.safeParse(job.data);
      // A webhook queued by a Taskbox of another version, or not a webhook at all: running it again cannot help.
      if (!parsed.success)
        throw new UnrecoverableError(`not an intake job this Taskbox knows: ${parsed.error.message}`);
      await options.intake(parsed.data);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? DEFAULT_INTAKE_CONCURRENCY,
    },
  );
  worker.on("failed", (job, error) =>
    log.error(
      { jobId: job?.id, deliveryId: job?.data.deliveryId, attempts: job?.attemptsMade, err: error },
      "intake step failed",
    ),
  );
  worker.on("error", (error) => log.error({ err: error }, "intake worker error"));
  return worker;
}
