import { readdir } from "node:fs/promises";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OWNER, startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import { scenarioScript, toolResultsOf } from "../../support/scenario-script.js";

const docker = new Docker();
const PIDS = 128;
const CONFIG = "limits: { command_timeout: 3s }\n";

/** Host processes: a fork bomb that escaped would show here. */
async function hostProcesses(): Promise<number> {
  return (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).length;
}

describe("a sandbox that misbehaves", () => {
  let rig: FaultRig;
  let processesBefore: number;

  beforeAll(async () => {
    rig = await startFaultRig({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": CONFIG },
      script: scenarioScript(
        new Map(
          Object.entries({
            "fork-bomb": [
              { shell: "bomb() { bomb | bomb & }; bomb; wait" },
              { shell: "echo alive" },
              { content: "The fork bomb hit the limit." },
            ],
            runaway: [
              { shell: "setsid sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & yes > /dev/null" },
              { shell: "echo still-here" },
              { content: "Stopped." },
            ],
            "disk-filler": [
              { shell: "dd if=/dev/zero of=/workspace/fill bs=1M count=3000 status=none; echo wrote" },
              { content: "Filled." },
            ],
          }),
        ),
      ),
      env: { TASKBOX_SANDBOX_PIDS: String(PIDS), TASKBOX_SANDBOX_DISK: "300m", TASKBOX_DISK_CHECK_INTERVAL_MS: "500" },
    });
    await rig.github.createRepo(OWNER, "endless", {
      ".github/taskbox.yml":
        "environment:\n  setup: |\n    bomb() { bomb | bomb & }; bomb\n    sleep 600\nlimits: { task_timeout: 5s, command_timeout: 5s }\n",
    });
    processesBefore = await hostProcesses();
    await rig.start("all");
  });
  afterAll(async () => rig?.close());

  async function run(scenario: string, issueNumber: number, repo?: string) {
    expect((await rig.comment({ body: `/taskbox run scenario:${scenario} now`, issueNumber, repo })).status_code).toBe(
      200,
    );
    const status = await rig.finalStatus(issueNumber, 60_000);
    expect(await rig.leftovers(taskIdOf(status))).toBe(0);
    return status;
  }

  it("a fork bomb is held at the pids limit, its processes are stopped, and the agent's next command runs", async () => {
    const status = await run("fork-bomb", 1);
    expect(status.body).toContain("Answered");
    const [bomb, after] = toolResultsOf(rig.model.requests, "fork-bomb");
    expect(bomb).toMatch(/Resource temporarily unavailable/);
    expect(bomb).toMatch(/reached its process limit, so it stopped the \d+ processes/);
    expect(after).toContain("alive");
  });

  it("a runaway command is stopped at the command timeout, and a detached one ends with the sandbox", async () => {
    const status = await run("runaway", 2);
    expect(status.body).toContain("Answered");
    const [runaway, after] = toolResultsOf(rig.model.requests, "runaway");
    expect(runaway).toMatch(/timed out/);
    expect(after).toContain("still-here");
  });

  it("a disk filler is stopped at TASKBOX_SANDBOX_DISK with a clear message, and its space is given back", async () => {
    const status = await run("disk-filler", 3);
    expect(status.body).toContain("Agent failed");
    expect(status.body).toMatch(
      /wrote [\d.]+ [MG]iB to disk, more than its limit of 300\.0 MiB \(TASKBOX_SANDBOX_DISK\)/,
    );
    expect(rig.github.pulls).toHaveLength(0);
  });

  it("a setup script that forks endlessly and never exits ends at the task timeout", async () => {
    const status = await run("endless-setup", 5, "endless");
    expect(status.body).toContain("Setup failed");
    expect(status.body).toContain("ran out of time");
  });

  it("leaves the host healthy", async () => {
    await docker.ping();
    expect(await hostProcesses()).toBeLessThan(processesBefore + 50);
    const probe = await docker.createContainer({
      Image: inject("sandboxImage"),
      Cmd: ["true"],
      Labels: { "taskbox.test": "true" },
    });
    await probe.start();
    expect((await probe.wait()).StatusCode).toBe(0);
    await probe.remove({ force: true });
  });
});
