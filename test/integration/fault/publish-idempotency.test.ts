import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { branchForTask, taskIdForDelivery } from "../../../src/queue/task-job.js";
import { OWNER, REPO, startFaultRig, type FaultRig } from "../../support/fault-rig.js";

/**
 * What an interrupted earlier attempt of a task can leave on GitHub (its worker killed after the push), set up by
 * hand: the task's id comes from the webhook's delivery id, so the branch name of the task to come is known.
 */
describe("publishing a task whose interrupted attempt got as far as GitHub", () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = await startFaultRig({
      files: { "README.md": "# hello\n" },
      script: (_request, index) => (index % 2 === 0 ? { shell: "echo new > new.txt" } : { content: "Wrote new.txt." }),
    });
    await rig.start("all");
  });
  afterAll(async () => rig?.close());

  function nextTask(issueNumber: number) {
    const guid = randomUUID();
    return { guid, branch: branchForTask(issueNumber, taskIdForDelivery(guid)) };
  }

  it("reuses the pull request the earlier attempt opened instead of opening a second one", async () => {
    const { guid, branch } = nextTask(1);
    await rig.github.pushCommit(OWNER, REPO, branch, { "earlier.txt": "from the interrupted run\n" }, { from: "main" });
    const earlier = rig.github.openPull(OWNER, REPO, {
      title: "earlier",
      body: "",
      head: branch,
      base: "main",
      user: "taskbox[bot]",
    });

    expect((await rig.comment({ body: "/taskbox write new.txt", issueNumber: 1 }, guid)).status_code).toBe(200);
    const status = await rig.finalStatus(1);
    expect(status.body).toContain("Pull request opened");
    expect(status.body).toContain(`[#${earlier.number}](${earlier.html_url})`);
    expect(status.body).toContain("An earlier run of this task was interrupted");
    expect(rig.github.pulls.filter((pull) => pull.head === branch)).toHaveLength(1);
    expect(await rig.github.readFile(OWNER, REPO, branch, "earlier.txt")).toBeDefined();
  });

  it("replaces a branch the earlier attempt pushed without a pull request, and opens one", async () => {
    const { guid, branch } = nextTask(2);
    await rig.github.pushCommit(OWNER, REPO, branch, { "earlier.txt": "from the interrupted run\n" }, { from: "main" });

    expect((await rig.comment({ body: "/taskbox write new.txt", issueNumber: 2 }, guid)).status_code).toBe(200);
    const status = await rig.finalStatus(2);
    expect(status.body).toContain("Pull request opened");
    expect(rig.github.pulls.filter((pull) => pull.head === branch)).toHaveLength(1);
    expect((await rig.github.readFile(OWNER, REPO, branch, "new.txt"))?.toString()).toBe("new\n");
    expect(await rig.github.readFile(OWNER, REPO, branch, "earlier.txt")).toBeUndefined();
  });
});
