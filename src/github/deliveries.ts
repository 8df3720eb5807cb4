import type { ProbotOctokit } from "probot";

/** One entry of GET /app/hook/deliveries, as far as recovery reads it. */
export interface Delivery {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
  action: string | null;
}

/** The app's webhook deliveries, page by page, newest first; needs an Octokit authenticated as the app (JWT). */
export async function* deliveryPages(octokit: ProbotOctokit): AsyncGenerator<Delivery[]> {
  for await (const page of octokit.paginate.iterator(octokit.rest.apps.listWebhookDeliveries, { per_page: 100 })) {
    yield page.data;
  }
}

export async function redeliverWebhook(octokit: ProbotOctokit, deliveryId: number): Promise<void> {
  await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: deliveryId });
}
