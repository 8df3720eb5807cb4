import { readdir } from "node:fs/promises";
import Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { Script } from "../../support/fake-model.js";
import { startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import { waitFor } from "../../support/taskbox-harness.js";

const docker = new Docker();
/** Short lock and stall check, so that a dead worker's job is noticed within seconds. */
const FAST_RECOVERY = {
  TASKBOX_LOCK_DURATION_MS: "2000",
  TASKBOX_STALLED_INTERVAL_MS: "1000",
  TASKBOX_REAPER_INTERVAL_MS: "1000",
};

/** Long enough to be killed in the middle of. */
const SLOW_SETUP = "environment:\n  setup: sleep 60\n";

async function runningContainers(taskId: string): Promise<number> {
  return (await docker.listContainers({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })).length;
}

describe("a worker killed with SIGKILL mid-task", () => {
  let rig: FaultRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  async function startTask(files: Record<string, string>, script: Script, maxStalledCount: string) {
    rig = await startFaultRig({
      files: { "README.md": "# hello\n", ...files },
      script,
      env: { ...FAST_RECOVERY, TASKBOX_MAX_STALLED_COUNT: maxStalledCount },
    });
    await rig.start("web");
    const worker = await rig.start("worker");
    expect((await rig.comment({ body: "/taskbox write fix.txt" })).status_code).toBe(200);
    const [status] = await waitFor("the status comment", () =>
      rig!.statusComments().length > 0 ? rig!.statusComments() : undefined,
    );
    return { worker, taskId: taskIdOf(status!) };
  }

  /**
   * The host is left as it was: no container, no network and no checkout of the task. The host's git cache
   * (git-mirrors) stays by design: it is what makes the next task's checkout fast.
   */
  async function expectNoDebris(taskId: string) {
    await waitFor("the orphan reaper", async () => ((await rig!.leftovers(taskId)) === 0 ? true : undefined), 30_000);
    await waitFor(
      "checkouts removed",
      async () =>
        (await readdir(rig!.workDir)).filter((name) => name !== "git-mirrors").length === 0 ? true : undefined,
      30_000,
    );
  }

  it("during setup: a job that may not run again is marked failed, and its comment says why", async () => {
    const { worker, taskId } = await startTask(
      { ".github/taskbox.yml": SLOW_SETUP },
      [{ content: "never asked" }],
      "0",
    );
    await waitFor("the setup script running", async () => ((await runningContainers(taskId)) === 1 ? true : undefined));

    await worker.kill("SIGKILL");
    expect(await runningContainers(taskId)).toBe(1); // what the dead worker left
    await rig!.start("worker");

    const status = await rig!.finalStatus();
    expect(status.body).toContain("Task interrupted");
    expect(status.body).toContain("TASKBOX_MAX_STALLED_COUNT is 0");
    expect(rig!.github.pulls).toHaveLength(0);
    expect(rig!.statusComments()).toHaveLength(1);
    expect(rig!.model.requests).toHaveLength(0);
    await expectNoDebris(taskId);
  });

  it("during the agent phase: the job is taken up again by a new worker, which ends it with one pull request", async () => {
    const script: Script = (_request, index) =>
      [
        { content: "never answered: the worker dies first", delayMs: 120_000 },
        { shell: "echo fixed > fix.txt" },
        { content: "Wrote fix.txt." },
      ][index] ?? { content: "done" };
    const { worker, taskId } = await startTask(
      { ".github/taskbox.yml": "environment:\n  setup: echo ready\n" },
      script,
      "1",
    );
    await waitFor("the agent phase", () => (rig!.model.requests.length === 1 ? true : undefined));

    await worker.kill("SIGKILL");
    expect(await runningContainers(taskId)).toBe(1);
    await rig!.start("worker");

    const status = await rig!.finalStatus();
    expect(status.body).toContain("Pull request opened");
    expect(rig!.github.pulls).toHaveLength(1);
    expect(rig!.statusComments()).toHaveLength(1);
    expect(rig!.model.requests).toHaveLength(3); // the interrupted run's first call, then the whole second run
    await expectNoDebris(taskId);
  });
});
