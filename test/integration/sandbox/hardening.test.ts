import Docker from "dockerode";
import pino from "pino";
import { afterEach, describe, expect, inject, it } from "vitest";
import { DiskCap, SandboxDiskLimitError } from "../../../src/sandbox/disk-cap.js";
import { createDockerSandboxFactory } from "../../../src/sandbox/docker-sandbox.js";
import type { SandboxHardening } from "../../../src/sandbox/sandbox-hardening.js";
import { TEST_RUNTIME, UNPRIVILEGED_STATUS } from "../../support/test-runtime.js";
import { checkSandboxRuntime, SandboxRuntimeError } from "../../../src/sandbox/sandbox-runtime.js";
import { stopStrayProcesses } from "../../../src/sandbox/stop-stray-processes.js";
import type { Sandbox } from "../../../src/sandbox/types.js";
import { waitFor } from "../../support/taskbox-harness.js";

const docker = new Docker();
const log = pino({ level: "silent" });
const LIMITS = { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 64 };

describe("sandbox hardening", () => {
  const sandboxes: Sandbox[] = [];
  afterEach(async () => {
    for (const sandbox of sandboxes.splice(0)) await sandbox.remove();
  });

  async function create(
    taskId: string,
    hardening: SandboxHardening = { runtime: TEST_RUNTIME },
    labels: Record<string, string> = {},
  ) {
    const sandbox = await createDockerSandboxFactory({ docker, log, hardening }).create({
      taskId,
      image: inject("sandboxImage"),
      labels: { "taskbox.test": "true", ...labels },
      limits: LIMITS,
      network: false,
    });
    sandboxes.push(sandbox);
    return sandbox;
  }
  const run = (sandbox: Sandbox, command: string) =>
    sandbox.exec({ command, timeoutMs: 30_000, maxOutputBytes: 64 * 1024 });

  it("runs unprivileged and limited by default, with the configured runtime and the factory's labels", async () => {
    const sandbox = await create(
      "harden-defaults",
      { runtime: TEST_RUNTIME ?? "runc", labels: { "taskbox.queue": "q1" } },
      { "taskbox.managed": "false", "taskbox.task": "x" },
    );
    const info = await docker.getContainer(sandbox.containerId).inspect();
    expect(info.HostConfig.Runtime).toBe(TEST_RUNTIME ?? "runc");
    expect(info.Config.Labels).toMatchObject({
      "taskbox.queue": "q1",
      "taskbox.managed": "true",
      "taskbox.task": "harden-defaults",
    });
    expect(info.Config.User).toBe("taskbox");
    expect(info.HostConfig).toMatchObject({
      CapDrop: ["ALL"],
      Privileged: false,
      Init: true,
      PidsLimit: 64,
      Memory: LIMITS.memoryBytes,
      NanoCpus: 1e9,
    });
    expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges"]); // and so Docker's default seccomp profile
    const status = (await run(sandbox, "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status")).output.toString();
    expect(status).toMatch(UNPRIVILEGED_STATUS);
  });

  it("replaces a sandbox a crashed earlier attempt of the same task left under the same name", async () => {
    const first = await create("harden-stale");
    const second = await create("harden-stale");
    expect(second.containerId).not.toBe(first.containerId);
    await expect(docker.getContainer(first.containerId).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("stops a sandbox that writes more than its disk cap, and fails its commands with the reason", async () => {
    const sandbox = await create("harden-disk", {
      runtime: TEST_RUNTIME,
      diskCap: new DiskCap({ limitBytes: 20 * 1024 ** 2, checkIntervalMs: 200, log }),
    });
    const filling = run(
      sandbox,
      "for i in $(seq 200); do head -c 1048576 /dev/zero > /workspace/fill-$i; sleep 0.01; done; echo finished",
    );
    const outcome = await filling.then(
      (result) => result.output.toString(),
      (error: unknown) => error,
    );
    if (outcome instanceof Error) {
      // Polled cap (overlay2 on ext4 and the like): the container was stopped.
      expect(outcome).toBeInstanceOf(SandboxDiskLimitError);
      await expect(run(sandbox, "true")).rejects.toBeInstanceOf(SandboxDiskLimitError);
      // Docker records the stop a moment after the processes are gone.
      await waitFor(
        "the sandbox stopped",
        async () => ((await docker.getContainer(sandbox.containerId).inspect()).State.Running ? undefined : true),
        10_000,
      );
    } else {
      // Enforced quota (overlay2 on xfs with pquota, btrfs, zfs): writes past it fail.
      expect(outcome).toContain("No space left on device");
    }
  });

  it("stops every process commands left running, and keeps the sandbox itself alive", async () => {
    const sandbox = await create("harden-strays");
    await run(
      sandbox,
      "nohup sleep 300 >/dev/null 2>&1 & setsid sleep 301 >/dev/null 2>&1 & (sleep 302 >/dev/null 2>&1 &)",
    );
    expect((await run(sandbox, "ps -eo args= | grep -c '^sleep 30[012]'")).output.toString().trim()).toBe("3");
    expect(await stopStrayProcesses(sandbox)).toBe(3);
    expect((await run(sandbox, "ps -eo args= | grep -c '^sleep 30[012]'; echo alive")).output.toString()).toBe(
      "0\nalive\n",
    );
    expect((await docker.getContainer(sandbox.containerId).inspect()).State.Running).toBe(true);
  });

  it("checks at start that the engine knows the configured runtime", async () => {
    await expect(checkSandboxRuntime(docker, undefined)).resolves.toBeUndefined();
    await expect(checkSandboxRuntime(docker, "runc")).resolves.toBeUndefined();
    const error = await checkSandboxRuntime(docker, "no-such-runtime").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxRuntimeError);
    expect((error as Error).message).toMatch(
      /TASKBOX_RUNTIME=no-such-runtime, but the Docker engine has no runtime of that name \(it has: .*runc/,
    );
  });
});
