import type Docker from "dockerode";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { DiskCap, formatBytes, isStorageOptUnsupported, SandboxDiskLimitError } from "../../../src/sandbox/disk-cap.js";

const log = pino({ level: "silent" });

/** createContainer answers like an engine on overlay2 over ext4: a size quota is refused. */
function engineWithoutQuotas() {
  const calls: Docker.ContainerCreateOptions[] = [];
  const docker = {
    async createContainer(options: Docker.ContainerCreateOptions) {
      calls.push(options);
      if (options.HostConfig?.StorageOpt) {
        throw new Error(
          "(HTTP code 500) server error - --storage-opt is supported only for overlay over xfs with 'pquota' mount option",
        );
      }
      return { id: `c${calls.length}` } as unknown as Docker.Container;
    },
  } as unknown as Docker;
  return { docker, calls };
}

describe("DiskCap", () => {
  it("asks for a size quota, falls back once the engine refuses it, and does not ask again", async () => {
    const { docker, calls } = engineWithoutQuotas();
    const cap = new DiskCap({ limitBytes: 1024, checkIntervalMs: 1000, log });
    expect((await cap.createContainer(docker, { Image: "x", HostConfig: { PidsLimit: 5 } })).quota).toBe(false);
    expect((await cap.createContainer(docker, { Image: "x" })).quota).toBe(false);
    expect(calls.map((call) => call.HostConfig?.StorageOpt)).toEqual([{ size: "1024" }, undefined, undefined]);
    expect(calls[1]!.HostConfig?.PidsLimit).toBe(5);
  });

  it("keeps the quota where the engine accepts it", async () => {
    const calls: Docker.ContainerCreateOptions[] = [];
    const docker = {
      createContainer: async (options: Docker.ContainerCreateOptions) => (calls.push(options), {}),
    } as unknown as Docker;
    const cap = new DiskCap({ limitBytes: 2048, checkIntervalMs: 1000, log });
    expect((await cap.createContainer(docker, { Image: "x" })).quota).toBe(true);
    expect(calls[0]!.HostConfig?.StorageOpt).toEqual({ size: "2048" });
  });

  it("does not mistake another error for a missing quota", async () => {
    const docker = { createContainer: async () => Promise.reject(new Error("No such image: x")) } as unknown as Docker;
    await expect(
      new DiskCap({ limitBytes: 1, checkIntervalMs: 1, log }).createContainer(docker, { Image: "x" }),
    ).rejects.toThrow("No such image");
  });

  it("stops a container whose writable layer grows past the limit, and fails its commands with the reason", async () => {
    let killed = false;
    const container = {
      inspect: async () => ({ SizeRw: 5 * 1024 * 1024 }),
      kill: async () => void (killed = true),
    } as unknown as Docker.Container;
    vi.useFakeTimers();
    const watch = new DiskCap({ limitBytes: 1024 * 1024, checkIntervalMs: 10, log }).watch(container, log);
    expect(() => watch.throwIfExceeded()).not.toThrow(); // nothing checked yet
    await vi.advanceTimersByTimeAsync(10);
    vi.useRealTimers();
    expect(killed).toBe(true);
    expect(() => watch.throwIfExceeded()).toThrow(SandboxDiskLimitError);
    expect(() => watch.throwIfExceeded()).toThrow(
      "the sandbox wrote 5.0 MiB to disk, more than its limit of 1.0 MiB (TASKBOX_SANDBOX_DISK), and was stopped",
    );
    watch.stop();
  });

  it("leaves a container under the limit running, and stops watching on stop()", async () => {
    let checks = 0;
    const container = {
      inspect: async () => (checks++, { SizeRw: 10 }),
      kill: async () => {},
    } as unknown as Docker.Container;
    vi.useFakeTimers();
    const watch = new DiskCap({ limitBytes: 1024, checkIntervalMs: 5, log }).watch(container, log);
    await vi.advanceTimersByTimeAsync(15);
    expect(checks).toBe(3);
    watch.stop();
    await vi.advanceTimersByTimeAsync(50);
    vi.useRealTimers();
    expect(checks).toBe(3);
    expect(() => watch.throwIfExceeded()).not.toThrow();
  });
});

describe("isStorageOptUnsupported and formatBytes", () => {
  it("recognises the engine's refusal", () => {
    expect(
      isStorageOptUnsupported(
        new Error("--storage-opt is supported only for overlay over xfs with 'pquota' mount option"),
      ),
    ).toBe(true);
    expect(isStorageOptUnsupported(new Error("Storage Opt size is not supported"))).toBe(false);
    expect(isStorageOptUnsupported(new Error("StorageOpt not supported by graphdriver"))).toBe(true);
    expect(isStorageOptUnsupported(new Error("no such image"))).toBe(false);
  });

  it("prints sizes in binary units", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(20 * 1024 ** 3)).toBe("20.0 GiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});
