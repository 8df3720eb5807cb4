import type { Logger } from "pino";

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * SIGTERM or SIGINT shuts down gracefully (`shutdown`, then exit 0, or 1 if it threw); a second signal while that
 * runs exits at once with 1, leaving running tasks to the stalled-job recovery of the other workers.
 */
export function onShutdownSignals(options: {
  shutdown(signal: NodeJS.Signals): Promise<void>;
  log: Logger;
  exit?: (code: number) => void;
  source?: SignalSource;
}): void {
  const { shutdown, log, exit = (code) => process.exit(code), source = process } = options;
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn({ signal }, "second signal: stopping at once");
      exit(1);
      return;
    }
    shuttingDown = true;
    log.info({ signal }, "shutting down: no new tasks; running tasks may finish (a second signal stops at once)");
    shutdown(signal).then(
      () => exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) source.on(signal, () => onSignal(signal));
}
