import type { Logger } from "pino";
import type { EnvironmentReport } from "../report/task-status.js";
import type { Sandbox } from "../sandbox/types.js";

export type StepTimer = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** What the steps of one environment preparation share: each step gets it passed in, so tests pass a fake. */
export interface EnvironmentSession {
  /** Shown in the status comment once the cache's part is known. */
  report: EnvironmentReport;
  /** Runs work as a named step of the report, with its duration. */
  step: StepTimer;
  /** Creates and starts the task's sandbox from image; the checkout is copied in as soon as it is done. */
  start(image: string, network: boolean): Promise<Sandbox>;
  /** Runs a setup or maintenance script with env and secrets; returns its redacted log tail. */
  runScript(sandbox: Sandbox, what: string, script: string): Promise<string>;
  /** Adds a fact for the maintainer to the status comment. */
  note(text: string): void;
  log: Logger;
}

export function stepTimer(report: EnvironmentReport, clock: () => number = () => performance.now()): StepTimer {
  return async (name, work) => {
    const started = clock();
    try {
      return await work();
    } finally {
      report.steps.push({ name, ms: Math.round(clock() - started) });
    }
  };
}
