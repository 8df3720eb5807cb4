import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { jobIdForTask } from "../queue/task-job.js";
import type { TaskQueue } from "../queue/task-queue.js";
import { runPeriodically, type Periodic } from "../run-periodically.js";
import { removeSandboxResources } from "../sandbox/remove-sandbox-resources.js";
import { MANAGED_LABEL, TASK_LABEL } from "../sandbox/types.js";

/** Value: the queue prefix (TASKBOX_QUEUE_PREFIX) of the deployment whose worker created the sandbox. */
export const QUEUE_LABEL = "taskbox.queue";

/** A checkout directory is `<taskId>-` plus the six characters mkdtemp adds. */
const WORK_DIR_SUFFIX = /-[A-Za-z0-9]{6}$/;

export interface ReapOrphansOptions {
  docker: Docker;
  queue: TaskQueue;
  /** The queue prefix: only sandboxes labelled with it are this deployment's to reap. */
  queuePrefix: string;
  /** TASKBOX_WORK_DIR, where checkouts of running tasks live. */
  workDir: string;
  log: Logger;
}

export interface ReapResult {
  containers: string[];
  networks: string[];
  workDirs: string[];
}

/**
 * Removes what tasks that no longer run left behind: sandbox containers and networks (when a worker was killed,
 * or the Docker engine was down while a task cleaned up) and checkout directories. A task counts as running only
 * while its job is active; a job that waits again after a crash gets a fresh sandbox. Resources are listed before
 * the queue is asked, so a sandbox created in between belongs to a task that is already seen as active, and they
 * are removed by id, so a new attempt's sandbox under the same name is never touched. Images are never removed.
 */
export async function reapOrphans(options: ReapOrphansOptions): Promise<ReapResult> {
  const { docker, queue, log } = options;
  const filters = { label: [`${MANAGED_LABEL}=true`, `${QUEUE_LABEL}=${options.queuePrefix}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const workDirs = (await readdir(options.workDir).catch(() => [] as string[])).filter((name) =>
    WORK_DIR_SUFFIX.test(name),
  );

  const states = new Map<string, string>();
  const stateOf = async (taskId: string) => {
    if (!states.has(taskId)) states.set(taskId, await queue.getJobState(jobIdForTask(taskId)));
    return states.get(taskId)!;
  };
  const orphanContainers: string[] = [];
  for (const container of containers) {
    const taskId = container.Labels[TASK_LABEL];
    if (taskId && (await stateOf(taskId)) !== "active") orphanContainers.push(container.Id);
  }
  const orphanNetworks: string[] = [];
  for (const network of networks) {
    const taskId = network.Labels?.[TASK_LABEL];
    if (taskId && (await stateOf(taskId)) !== "active") orphanNetworks.push(network.Id);
  }
  // A directory has no label, and another deployment may share the work directory: only this queue's tasks count.
  const orphanDirs: string[] = [];
  for (const name of workDirs) {
    const state = await stateOf(name.replace(WORK_DIR_SUFFIX, ""));
    if (state !== "active" && state !== "unknown") orphanDirs.push(name);
  }

  await removeSandboxResources(docker, { containers: orphanContainers, networks: orphanNetworks });
  for (const name of orphanDirs) await rm(join(options.workDir, name), { recursive: true, force: true });
  const result = { containers: orphanContainers, networks: orphanNetworks, workDirs: orphanDirs };
  if (orphanContainers.length + orphanNetworks.length + orphanDirs.length > 0)
    log.info(result, "removed what finished tasks left behind");
  return result;
}

/** Reaps at start, then every intervalMs. */
export function startOrphanReaper(options: ReapOrphansOptions & { intervalMs: number }): Periodic {
  return runPeriodically(
    "orphan reaper",
    options.intervalMs,
    () => reapOrphans(options).then(() => undefined),
    options.log,
  );
}
