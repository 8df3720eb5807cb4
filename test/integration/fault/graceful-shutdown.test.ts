import { afterEach, describe, expect, it } from "vitest";
import type { Script } from "../../support/fake-model.js";
import { startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import { waitFor } from "../../support/taskbox-harness.js";
import type { TaskboxProcess } from "../../support/taskbox-process.js";

/** The agent's first model call answers after `delayMs`: a task that is running when the worker is told to stop. */
function slowAgent(delayMs: number): Script {
  return (_request, index) =>
    [{ shell: "echo fixed > fix.txt", delayMs }, { content: "Wrote fix.txt." }][index] ?? { content: "done" };
}

describe("a worker told to stop while a task runs", () => {
  let rig: FaultRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  async function runningTask(
    script: Script,
    shutdownTimeout: string,
  ): Promise<{ worker: TaskboxProcess; taskId: string }> {
    rig = await startFaultRig({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": "environment:\n  setup: echo ready\n" },
      script,
      env: { TASKBOX_SHUTDOWN_TIMEOUT: shutdownTimeout },
    });
    await rig.start("web");
    const worker = await rig.start("worker");
    expect((await rig.comment({ body: "/taskbox write fix.txt" })).status_code).toBe(200);
    await waitFor("the agent phase", () => (rig!.model.requests.length === 1 ? true : undefined));
    const [status] = rig.statusComments();
    return { worker, taskId: taskIdOf(status!) };
  }

  it("lets the task finish within TASKBOX_SHUTDOWN_TIMEOUT, then exits 0", async () => {
    const { worker, taskId } = await runningTask(slowAgent(3_000), "2m");
    await worker.kill("SIGTERM");

    expect(await worker.exited).toBe(0);
    const status = await rig!.finalStatus();
    expect(status.body).toContain("Pull request opened");
    expect(rig!.github.pulls).toHaveLength(1);
    expect(await rig!.leftovers(taskId)).toBe(0);
  });

  it("ends a task still running after the timeout with a comment saying how to retry it", async () => {
    const { worker, taskId } = await runningTask(slowAgent(120_000), "1s");
    await worker.kill("SIGTERM");

    expect(await worker.exited).toBe(0);
    const status = await rig!.finalStatus();
    expect(status.body).toContain("Task interrupted");
    expect(status.body).toContain("Comment `/taskbox retry` to run it again.");
    expect(rig!.github.pulls).toHaveLength(0);
    expect(await rig!.leftovers(taskId)).toBe(0);
  });

  it("stops at once on a second signal", async () => {
    const { worker } = await runningTask(slowAgent(120_000), "30m");
    process.kill(worker.pid, "SIGTERM");
    await worker.waitForLog(/shutting down: no new tasks/);
    process.kill(worker.pid, "SIGINT");

    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain("second signal: stopping at once");
  });
});
