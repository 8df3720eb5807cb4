import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { OAuthApp } from "../../github/oauth.js";
import type { AppClients } from "../../github/repository-access.js";
import { metrics, type CountedQueue } from "../../metrics/metrics.js";
import type { AdminEnvironmentRow } from "../../report/render-admin.js";
import type { TranscriptStore } from "../../report/transcript-store.js";
import type { WebDeps } from "../web-deps.js";
import { createAdminPages } from "./admin-pages.js";
import { createPagesAuth } from "./pages-auth.js";
import { createTaskPages } from "./task-pages.js";

export type PageHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface PagesOptions {
  /** GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (and GHE_HOST); without them there are no pages, only /metrics. */
  oauth: OAuthApp | undefined;
  publicUrl: string;
  admins: string[];
  clients: AppClients;
  web: Pick<WebDeps, "queue" | "board">;
  transcripts: TranscriptStore;
  redis: Redis;
  environments?: () => Promise<AdminEnvironmentRow[]>;
  log: Logger;
}

/** GET /metrics, always; the sign-in, the task pages and /admin when the app's OAuth credentials are set. */
export function createPagesHandler(options: PagesOptions): PageHandler {
  const { log } = options;
  const handlers: PageHandler[] = [(req, res) => serveMetrics(req, res, options.web.queue)];
  if (options.oauth) {
    const auth = createPagesAuth({
      oauth: options.oauth,
      publicUrl: options.publicUrl,
      clients: options.clients,
      admins: options.admins,
      log,
    });
    handlers.push(
      (req, res) => auth.handle(req, res),
      createTaskPages({ auth, board: options.web.board, transcripts: options.transcripts, redis: options.redis, log }),
      createAdminPages({ auth, web: options.web, clients: options.clients, environments: options.environments, log }),
    );
  }
  return async (req, res) => {
    for (const handler of handlers) {
      if (await handler(req, res)) return true;
    }
    return false;
  };
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, queue: CountedQueue): Promise<boolean> {
  if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") return false;
  const text = await metrics.text(queue);
  res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text);
  return true;
}
