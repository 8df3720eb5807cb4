import { formatDuration } from "../config/duration.js";
import type { EnvironmentReport } from "./task-status.js";

/** One line for the status comment: whether the cache was hit, why not, and what each environment step took. */
export function renderEnvironmentLine(report: EnvironmentReport): string {
  const cache =
    report.cache === "hit"
      ? `♻️ cache hit: resumed a cached environment${report.cacheAgeMs === undefined ? "" : ` set up ${formatDuration(report.cacheAgeMs)} ago`}`
      : report.cache === "miss"
        ? `🆕 cache miss (${report.missReason ?? "no cached environment"}): fresh setup, then cached`
        : "no setup script and no dependency files found, so nothing to cache";
  const steps = report.steps.map((step) => `${step.name} ${step.ms < 1000 ? `${step.ms}ms` : formatDuration(step.ms)}`);
  return [`**Environment**: ${cache}`, ...steps].join(" · ");
}
