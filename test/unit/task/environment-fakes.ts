import { pino } from "pino";
import type { EnvironmentSession } from "../../../src/task/environment-session.js";
import { fakeSandbox, type FakeSandbox } from "../../support/fake-sandbox.js";

/** A session whose steps record themselves; runScript answers from `scripts` (by script text) or with "ok". */
export function fakeSession(options: { scripts?: Record<string, () => Promise<string>>; sandbox?: FakeSandbox } = {}) {
  const sandbox = options.sandbox ?? fakeSandbox();
  const events: string[] = [];
  const notes: string[] = [];
  const session: EnvironmentSession = {
    report: { cache: "off", steps: [] },
    log: pino({ level: "silent" }),
    async step(name, work) {
      events.push(`step ${name}`);
      const result = await work();
      session.report.steps.push({ name, ms: 0 });
      return result;
    },
    async start(image, network) {
      events.push(`start ${image} network=${network}`);
      return sandbox;
    },
    async runScript(_sandbox, what, script) {
      events.push(`run ${what}`);
      return (await options.scripts?.[script]?.()) ?? "ok";
    },
    note: (text) => void notes.push(text),
  };
  return { session, sandbox, events, notes };
}
