import type { ApplicationFunction } from "probot";
import type { AppClients } from "../github/repository-access.js";
import { metrics } from "../metrics/metrics.js";
import { INTAKE_EVENTS, INTAKE_JOB_VERSION, type IntakeJobData } from "../queue/intake-job.js";
import { enqueueIntake, type IntakeQueue } from "../queue/intake-queue.js";
import type { PageHandler } from "./pages/mount-pages.js";
import { usingQueue } from "./queue-unavailable.js";
import { mayAskTaskbox } from "./recognise-webhook.js";

export interface TaskboxAppOptions {
  intake: IntakeQueue;
  /** Builds the pages (task pages, /admin, /metrics); absent, the app serves webhooks only. */
  pages?: (clients: AppClients) => PageHandler;
}

/**
 * The webhook path: Probot has verified the signature; a webhook that may ask Taskbox for something is queued for
 * the intake step (intake.ts), at most once per delivery and per signed body, and GitHub gets its answer. No GitHub
 * call happens here. Without Redis the answer is a 503, and the delivery is recovered later (recover-deliveries.ts).
 */
export function createTaskboxApp({ intake, pages }: TaskboxAppOptions): ApplicationFunction {
  return (app, options) => {
    app.on([...INTAKE_EVENTS], async (context) => {
      if (!mayAskTaskbox(context.name, context.payload)) return;
      const { action } = context.payload as { action?: string };
      const stop = metrics.webhookDuration.startTimer({ event: action ? `${context.name}.${action}` : context.name });
      try {
        const webhook = {
          version: INTAKE_JOB_VERSION,
          deliveryId: context.id,
          name: context.name,
          payload: context.payload,
        };
        const queued = await usingQueue(() => enqueueIntake(intake, webhook as IntakeJobData));
        if (queued.duplicateOf) {
          context.log.warn(
            { deliveryId: context.id, duplicateOf: queued.duplicateOf },
            "dropped a replayed webhook body",
          );
        }
      } finally {
        stop();
      }
    });
    if (pages) options.addHandler(pages({ app: () => app.auth(), installation: (id) => app.auth(id) }));
  };
}
