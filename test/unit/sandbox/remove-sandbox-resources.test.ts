import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { removeContainer } from "../../../src/sandbox/remove-sandbox-resources.js";

/** A container whose first removal hangs until `finish`, as Docker's does while it stops a busy container. */
function slowlyRemovedContainer() {
  let finish!: () => void;
  const gone = new Promise<void>((resolve) => (finish = resolve));
  let removals = 0;
  const container = {
    remove: () => {
      removals++;
      if (removals === 1) return gone;
      return Promise.reject(Object.assign(new Error("removal already in progress"), { statusCode: 409 }));
    },
    wait: (options: { condition: string }) =>
      options.condition === "removed" ? gone : Promise.reject(new Error("unexpected condition")),
  } as unknown as Docker.Container;
  return { container, finish };
}

describe("removeContainer", () => {
  it("a second removal that Docker answers with 409 returns only once the container is gone", async () => {
    const { container, finish } = slowlyRemovedContainer();
    const events: string[] = [];
    const first = removeContainer(container).then(() => events.push("first"));
    const second = removeContainer(container).then(() => events.push("second"));
    // Both are now waiting; nothing may report the container removed before Docker says so.
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    events.push("docker removed it");
    finish();
    await Promise.all([first, second]);
    expect(events[0]).toBe("docker removed it");
    expect(events).toHaveLength(3);
  });

  it("a container that is already gone counts as removed", async () => {
    const container = {
      remove: () => Promise.reject(Object.assign(new Error("no such container"), { statusCode: 404 })),
    } as unknown as Docker.Container;
    await expect(removeContainer(container)).resolves.toBeUndefined();
  });
});
