import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";

/** One thing a process needs to do its work (Redis, the Docker engine); throws when it is not there. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface Health {
  /** From now on /readyz answers 503: the process is shutting down and takes no new work. */
  markStopping(): void;
  /** A Probot `addHandler` handler: answers /healthz and /readyz, passes on everything else. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/**
 * /healthz: the process is alive (its event loop answers). /readyz: it can do its work now, each check by name,
 * so a load balancer or compose takes it out of rotation while Redis is down or it is shutting down.
 */
export function createHealth(checks: ReadinessCheck[], options: { timeoutMs?: number } = {}): Health {
  const timeoutMs = options.timeoutMs ?? 3_000;
  let stopping = false;

  async function readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    if (stopping) return { ready: false, checks: { process: "shutting down" } };
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, "ok"] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    return { ready: results.every(([, result]) => result === "ok"), checks: Object.fromEntries(results) };
  }

  return {
    markStopping() {
      stopping = true;
    },
    async handler(req, res) {
      const path = req.url?.split("?")[0];
      if (req.method !== "GET" || (path !== "/healthz" && path !== "/readyz")) return false;
      const body = path === "/healthz" ? { ready: true, checks: {} } : await readiness();
      res.writeHead(body.ready ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: body.ready ? "ok" : "unavailable", checks: body.checks }));
      return true;
    },
  };
}

/** A worker-only process has no Probot server; this one serves its /healthz and /readyz. */
export async function serveHealth(health: Health, port: number, host: string, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    void health.handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  log.info({ port, host }, "worker health endpoints listening (/healthz, /readyz)");
  return server;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
