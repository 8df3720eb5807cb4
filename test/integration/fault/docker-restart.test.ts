import { finished } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Script } from "../../support/fake-model.js";
import { startFaultRig, taskIdOf, type FaultRig } from "../../support/fault-rig.js";
import { startPrivateDockerd, type PrivateDockerd } from "../../support/private-dockerd.js";
import { waitFor } from "../../support/taskbox-harness.js";
import { headlineOf } from "../../support/status-comments.js";

/**
 * The engine restarted here is a private one (private-dockerd.ts): restarting the machine's engine would stop the
 * containers of every other test, and of other work on the machine. Taskbox reaches it through DOCKER_HOST, as an
 * operator's would.
 */
describe("a Docker engine restart", () => {
  let dockerd: PrivateDockerd;
  let rig: FaultRig;

  beforeAll(async () => {
    dockerd = await startPrivateDockerd({ image: inject("sandboxImage") });
    // The first task's only command outlives the engine; everything after it is answered at once.
    const script: Script = (_request, index) =>
      index === 0 ? { shell: "touch started && sleep 120" } : { content: "All good here." };
    rig = await startFaultRig({
      files: { "README.md": "# hello\n" },
      script,
      env: { DOCKER_HOST: dockerd.host, TASKBOX_REAPER_INTERVAL_MS: "1000" },
    });
    await rig.start("all");
  });
  afterAll(async () => {
    await rig?.close();
    await dockerd?.close();
  });

  it("fails the running task with a clear message, leaves nothing behind, and new tasks work once the engine is back", async () => {
    expect((await rig.comment({ body: "/taskbox wait for a while" })).status_code).toBe(200);
    const [comment] = await waitFor("the status comment", () =>
      rig.statusComments().length > 0 ? rig.statusComments() : undefined,
    );
    const taskId = taskIdOf(comment!);
    await waitFor("the agent's command running", async () => {
      const [container] = await dockerd.docker.listContainers({ filters: { label: [`taskbox.task=${taskId}`] } });
      if (!container) return undefined;
      const exec = await dockerd.docker.getContainer(container.Id).exec({ Cmd: ["test", "-e", "/workspace/started"] });
      // The exec's stream ends when its process does; only then is its exit code known.
      await finished((await exec.start({})).resume(), { writable: false });
      return (await exec.inspect()).ExitCode === 0 ? true : undefined;
    });

    await dockerd.restart();

    const status = await rig.finalStatus();
    expect(headlineOf(status.body)).toBe("❌ Agent failed");
    expect(status.body).toMatch(/Docker engine was unreachable or restarted/);
    expect(rig.github.pulls).toHaveLength(0);
    await waitFor(
      "the orphan reaper",
      async () => ((await rig.leftovers(taskId, dockerd.docker)) === 0 ? true : undefined),
      30_000,
    );

    expect((await rig.comment({ body: "/taskbox anything left?", issueNumber: 2 })).status_code).toBe(200);
    expect(headlineOf((await rig.finalStatus(2)).body)).toBe("💬 Answered");
  });
});
