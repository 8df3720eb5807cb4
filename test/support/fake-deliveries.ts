import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

/** One delivery of a webhook, as GitHub's deliveries API lists it (plus the payload, to redeliver it). */
export interface FakeDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  /** 0 when no answer came (connection refused, timeout). */
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  payload: Record<string, unknown>;
}

/** The app's webhook: where GitHub sends it, and every delivery it made. */
export interface FakeWebhooks {
  /** The app's webhook URL and secret; set before anything is delivered. */
  target: { url: string; secret: string } | undefined;
  /** Newest last. */
  deliveries: FakeDelivery[];
  /** Signs and sends a webhook as GitHub does, and records the delivery with the answer's status code. */
  deliver(
    event: string,
    payload: Record<string, unknown>,
    options?: { guid?: string; redelivery?: boolean },
  ): Promise<FakeDelivery>;
}

interface DeliveryReply {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}
type DeliveryRoute = [
  string,
  RegExp,
  (params: string[], request: { query: URLSearchParams; authorization: string }) => DeliveryReply,
];

const DELIVERY_TIMEOUT_MS = 10_000;

/** onDeliver sees each payload before it is sent, as GitHub knows what a webhook is about before sending it. */
export function createFakeWebhooks(
  onDeliver: (payload: Record<string, unknown>) => void = () => undefined,
): FakeWebhooks {
  let nextId = 1;
  const webhooks: FakeWebhooks = {
    target: undefined,
    deliveries: [],
    async deliver(event, payload, options = {}) {
      const target = webhooks.target;
      if (!target) throw new Error("fake GitHub: set webhooks.target before delivering webhooks");
      onDeliver(payload);
      const guid = options.guid ?? randomUUID();
      const body = JSON.stringify(payload);
      const started = Date.now();
      let statusCode: number;
      try {
        const response = await fetch(target.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": guid,
            "x-hub-signature-256": await sign(target.secret, body),
          },
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        statusCode = response.status;
      } catch {
        statusCode = 0; // refused or timed out, as GitHub records it
      }
      const delivery: FakeDelivery = {
        id: nextId++,
        guid,
        delivered_at: new Date(started).toISOString(),
        redelivery: options.redelivery ?? false,
        duration: (Date.now() - started) / 1000,
        status: statusCode === 0 ? "timed out" : statusCode < 300 ? "OK" : `Invalid HTTP Response: ${statusCode}`,
        status_code: statusCode,
        event,
        action: typeof payload.action === "string" ? payload.action : null,
        installation_id: (payload.installation as { id?: number } | undefined)?.id ?? null,
        repository_id: (payload.repository as { id?: number } | undefined)?.id ?? null,
        payload,
      };
      webhooks.deliveries.push(delivery);
      return delivery;
    },
  };
  return webhooks;
}

/**
 * GET /app/hook/deliveries (newest first, cursor pagination with a Link header) and
 * POST /app/hook/deliveries/:id/attempts (redelivers in the background, as GitHub does). Both take only the app's
 * JWT, as GitHub does: an installation token gets a 401.
 */
export function deliveryRoutes(webhooks: FakeWebhooks, apiUrl: () => string): DeliveryRoute[] {
  const appOnly = (authorization: string): DeliveryReply | undefined =>
    /^bearer ey/i.test(authorization)
      ? undefined
      : { status: 401, json: { message: "A JSON web token could not be decoded" } };
  return [
    [
      "GET",
      /^\/app\/hook\/deliveries$/,
      (_params, { query, authorization }) => {
        const refused = appOnly(authorization);
        if (refused) return refused;
        const perPage = Number(query.get("per_page") ?? 30);
        const start = Number(query.get("cursor") ?? 0);
        const newestFirst = [...webhooks.deliveries].reverse();
        const page = newestFirst.slice(start, start + perPage).map(({ payload: _payload, ...listed }) => listed);
        const headers: Record<string, string> = {};
        if (start + perPage < newestFirst.length) {
          headers.link = `<${apiUrl()}/app/hook/deliveries?per_page=${perPage}&cursor=${start + perPage}>; rel="next"`;
        }
        return { status: 200, json: page, headers };
      },
    ],
    [
      "POST",
      /^\/app\/hook\/deliveries\/(\d+)\/attempts$/,
      ([id], { authorization }) => {
        const refused = appOnly(authorization);
        if (refused) return refused;
        const delivery = webhooks.deliveries.find((d) => d.id === Number(id));
        if (!delivery) return { status: 404, json: { message: "Not Found" } };
        void webhooks.deliver(delivery.event, delivery.payload, { guid: delivery.guid, redelivery: true });
        return { status: 202, json: {} };
      },
    ],
  ];
}
