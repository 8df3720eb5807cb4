import { metrics } from "../metrics/metrics.js";
import type { TaskJobData } from "../queue/task-job.js";
import type { PhaseName, TaskStatus } from "../report/task-status.js";
import type { TranscriptWriter } from "../report/transcript-store.js";

/** The runner of the builtin agent loop; CLI runners report their own names. */
export const BUILTIN_RUNNER = "builtin";

/** Where events go when no transcript store is configured (tests of other parts). */
export const NO_TRANSCRIPT: TranscriptWriter = { append: () => undefined, flush: () => Promise.resolve() };

/** The first event: what was asked, and how the sandbox is set up to answer it. */
export function recordTaskStart(transcript: TranscriptWriter, job: TaskJobData): void {
  const { environment, internet } = job.config;
  transcript.append({
    type: "task",
    repository: `${job.owner}/${job.repo}`,
    request: job.request,
    requestedBy: job.requestedBy,
    trigger: job.kind === "env-check" ? "env" : (job.trigger?.kind ?? "comment"),
    image: environment.image,
    runner: job.config.agent.runner ?? BUILTIN_RUNNER, // a job queued before agent.runner has none
    internet: {
      setup: internet.setup,
      agent: internet.agent,
      allow: internet.agent === "limited" ? internet.allow : [],
    },
  });
}

/** Runs one phase, recording its duration in the status, the transcript and the phase histogram. */
export async function timedPhase<T>(
  scope: { status: TaskStatus; transcript: TranscriptWriter },
  phase: PhaseName,
  work: () => Promise<T>,
): Promise<T> {
  scope.transcript.append({ type: "phase", phase, state: "started" });
  const started = performance.now();
  try {
    return await work();
  } finally {
    const ms = Math.round(performance.now() - started);
    scope.status.timings[phase] = ms;
    scope.transcript.append({ type: "phase", phase, state: "ended", ms });
    metrics.phaseDuration.observe({ phase }, ms / 1000);
  }
}

/** How the environment was prepared: cache hit or miss and why, and the script's (redacted) output. */
export function recordEnvironment(transcript: TranscriptWriter, status: TaskStatus): void {
  const report = status.environment;
  if (!report) return;
  metrics.environmentCache.inc({ result: report.cache });
  transcript.append({
    type: "environment",
    cache: report.cache,
    reason: report.missReason,
    cacheAgeMs: report.cacheAgeMs,
  });
  if (report.logTail?.trim()) {
    transcript.append({
      type: "output",
      source: report.cache === "hit" ? "maintenance script" : "setup script",
      text: report.logTail,
    });
  }
}

/** The last event: how the task ended. */
export function recordResult(transcript: TranscriptWriter, status: TaskStatus): void {
  metrics.tasksEnded.inc({ outcome: status.state });
  transcript.append({
    type: "result",
    state: status.state,
    pullRequest:
      status.pullRequest ?? (status.followUp && { number: status.followUp.number, url: status.followUp.url }),
    diffstat: status.diffstat,
    answer: status.state === "answered" || status.state === "succeeded" ? status.summary : undefined,
    failure: status.failure && { phase: status.failure.phase, message: status.failure.message },
  });
}
