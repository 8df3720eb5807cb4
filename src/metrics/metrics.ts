import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The task queue, counted at each scrape (BullMQ's Queue has both methods). */
export interface CountedQueue {
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
  exportPrometheusMetrics(globalVariables?: Record<string, string>): Promise<string>;
}

const PHASE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600];
const FAST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const WAIT_BUCKETS = [0.1, 1, 5, 15, 30, 60, 300, 900, 3600];
const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"];

/**
 * Taskbox's Prometheus metrics, one registry per process: the web process counts webhooks and the queue, workers count
 * tasks, phases, cache use, egress denials and tokens. In the `all` role one process serves them all.
 */
export function createTaskboxMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "taskbox_process_" });
  const queueJobs = new Gauge({
    name: "taskbox_queue_jobs",
    help: "Jobs in the task queue, by state",
    labelNames: ["state"],
    registers: [registry],
  });
  const metrics = {
    registry,
    tasksStarted: new Counter({
      name: "taskbox_tasks_started_total",
      help: "Tasks a worker started, by kind (task or env-check)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    tasksEnded: new Counter({
      name: "taskbox_tasks_ended_total",
      help: "Tasks that ended, by outcome (succeeded, answered, failed, cancelled, ready)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    phaseDuration: new Histogram({
      name: "taskbox_phase_duration_seconds",
      help: "How long each task phase took",
      labelNames: ["phase"],
      buckets: PHASE_BUCKETS,
      registers: [registry],
    }),
    environmentCache: new Counter({
      name: "taskbox_environment_cache_total",
      help: "Environment cache lookups, by result (hit, miss, off: nothing to cache)",
      labelNames: ["result"],
      registers: [registry],
    }),
    egressDenials: new Counter({
      name: "taskbox_egress_denials_total",
      help: "Requests the egress proxy denied, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: "taskbox_queue_wait_seconds",
      help: "Time from enqueue to a worker starting the task",
      buckets: WAIT_BUCKETS,
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: "taskbox_webhook_handling_seconds",
      help: "Time to handle one webhook event, by event name",
      labelNames: ["event"],
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
    modelTokens: new Counter({
      name: "taskbox_model_tokens_total",
      help: "Model tokens used, by runner and kind (prompt, completion)",
      labelNames: ["runner", "kind"],
      registers: [registry],
    }),
    /** The Prometheus text of this process, with the queue's jobs counted now and BullMQ's own queue metrics. */
    async text(queue: CountedQueue): Promise<string> {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) queueJobs.set({ state }, counts[state] ?? 0);
      return [await registry.metrics(), await queue.exportPrometheusMetrics()].join("\n");
    },
  };
  return metrics;
}

export type TaskboxMetrics = ReturnType<typeof createTaskboxMetrics>;

/** The process's metrics. Modules count into it directly, as prom-client is meant to be used. */
export const metrics: TaskboxMetrics = createTaskboxMetrics();
