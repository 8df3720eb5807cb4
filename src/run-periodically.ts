import type { Logger } from "pino";

export interface Periodic {
  /** No new run starts; a run in progress gets a few seconds to end (it may wait on a service that is down). */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

/**
 * Runs `work` now, then again `intervalMs` after each run ends, so two runs never overlap. A failed run is logged
 * and the next one tries again: these are background repairs that must outlive an outage of what they repair.
 */
export function runPeriodically(name: string, intervalMs: number, work: () => Promise<void>, log: Logger): Periodic {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    running = work()
      .catch((error: unknown) =>
        log.warn({ err: error, job: name }, "periodic job failed; it runs again at the next interval"),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (running) await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    },
  };
}
