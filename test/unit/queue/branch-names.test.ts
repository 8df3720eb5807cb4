import { describe, expect, it } from "vitest";
import { branchForTask, jobIdForTask, taskIdForDelivery } from "../../../src/queue/task-job.js";

/**
 * Nothing a user writes reaches a git ref, a path or a container name: the branch is made of the issue number (an
 * integer from GitHub's payload) and the task id (a hash of the delivery id), and checkouts and sandboxes are named
 * after the task id too. Even a hostile delivery id header cannot shape them.
 */
describe("names derived from a task", () => {
  const hostile = [
    "../../etc/passwd",
    "a b; rm -rf /",
    "refs/heads/main",
    "--upload-pack=evil",
    "ブランチ\u202e",
    "",
    "x".repeat(10_000),
  ];

  it.each(hostile)("gives a plain task id, job id and branch for the delivery id %j", (deliveryId) => {
    const taskId = taskIdForDelivery(deliveryId);
    expect(taskId).toMatch(/^[0-9a-f]{12}$/);
    expect(jobIdForTask(taskId)).toMatch(/^task-[0-9a-f]{12}$/);
    expect(branchForTask(42, taskId)).toMatch(/^taskbox\/42-[0-9a-f]{8}$/);
  });

  it("maps one delivery id to one task, so a redelivered webhook finds its task", () => {
    expect(taskIdForDelivery("d-1")).toBe(taskIdForDelivery("d-1"));
    expect(taskIdForDelivery("d-1")).not.toBe(taskIdForDelivery("d-2"));
  });
});
