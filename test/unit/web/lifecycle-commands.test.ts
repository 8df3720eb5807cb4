import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobIdForTask, taskIdForDelivery, type TaskJobData } from "../../../src/queue/task-job.js";
import {
  API,
  REPO,
  configFile,
  earlierTask,
  fakeQueue,
  noConfigFile,
  permission,
  postedComments,
  pullRequest,
  seedTask,
  send,
  setup,
  statusComment,
  useNock,
} from "./web-fixtures.js";

const THREAD = { repository: "octo/hello", number: 1 };

function jobData(taskId: string, overrides: Partial<TaskJobData> = {}): TaskJobData {
  return { taskId, owner: "octo", repo: "hello", issue: { number: 1 }, ...overrides } as TaskJobData;
}

describe("/taskbox status", () => {
  useNock({ beforeEach, afterEach });

  it("lists the thread's current and recent tasks, newest first, with their state, result and status comment", async () => {
    const { queue } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask({ taskId: "first0000001", createdAt: Date.parse("2024-03-01T10:00:00Z") }));
    await seedTask(
      board,
      earlierTask({
        taskId: "second000002",
        state: "failed",
        pullRequest: undefined,
        request: "add | pipes and `code`",
        failure: { phase: "setup", message: "exit 1" },
        createdAt: Date.parse("2024-03-01T11:00:00Z"),
      }),
    );
    await seedTask(
      board,
      earlierTask({
        taskId: "third0000003",
        state: "running",
        pullRequest: undefined,
        createdAt: Date.parse("2024-03-01T12:00:00Z"),
        finishedAt: undefined,
      }),
    );
    await seedTask(board, earlierTask({ taskId: "otherthread1", thread: { kind: "issue", number: 2 } }));

    await send(probot, { body: "/taskbox status" });

    expect(api.pendingMocks()).toEqual([]);
    const reply = replies[0]!;
    expect(reply).toMatch(/1 running or queued/);
    const rows = reply.split("\n").filter((line) => line.startsWith("| ["));
    expect(rows.map((row) => /`(\w+)`/.exec(row)?.[1])).toEqual(["third0000003", "second000002", "first0000001"]);
    expect(rows[0]).toContain("🤖 running");
    expect(rows[1]).toContain("failed in setup");
    expect(rows[1]).not.toMatch(/add \|/); // a pipe would break the table
    expect(rows[2]).toContain("[#100](https://github.com/octo/hello/pull/100)");
    expect(rows[2]).toContain("2m"); // took
    expect(rows[2]).toContain("https://github.com/octo/hello/issues/1#issuecomment-900");
    expect(reply).not.toContain("otherthread1");
  });

  it("says when the thread has no tasks", async () => {
    const { queue } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    await send(setup(queue).probot, { body: "/taskbox status" });
    expect(replies[0]).toMatch(/No Taskbox tasks have run on this issue/);
  });
});

describe("/taskbox cancel", () => {
  useNock({ beforeEach, afterEach });

  it("is refused to a user without write access, and cancels nothing", async () => {
    const { queue } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "visitor", "read");
    const replies = postedComments(api, 1, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask({ taskId: "running00001", state: "running" }));
    await send(probot, { body: "/taskbox cancel", login: "visitor" });
    expect(api.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("@visitor");
    expect(board.cancels).toEqual([]);
    expect(await board.line(THREAD)).toEqual(["running00001"]);
  });

  it("replies when nothing is queued or running", async () => {
    const { queue } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask());
    await send(probot, { body: "/taskbox cancel" });
    expect(replies[0]).toBe("There is no queued or running Taskbox task on this issue.");
    expect(board.cancels).toEqual([]);
  });

  it("asks the workers to stop a running task, and takes a queued one out of the queue with a final status comment", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`, { content: "+1" }).reply(201, {});
    const edits: string[] = [];
    api.patch(`${REPO}/issues/comments/902`, (body: { body: string }) => edits.push(body.body) > 0).reply(200, {});
    const { probot, board } = setup(queue);
    await seedTask(
      board,
      earlierTask({ taskId: "running00001", state: "running", statusCommentId: 901, pullRequest: undefined }),
    );
    await seedTask(
      board,
      earlierTask({ taskId: "queued000002", state: "queued", statusCommentId: 902, pullRequest: undefined }),
    );
    jobs.set(jobIdForTask("running00001"), {
      id: jobIdForTask("running00001"),
      data: jobData("running00001"),
      state: "active",
      promoted: 0,
    });
    jobs.set(jobIdForTask("queued000002"), {
      id: jobIdForTask("queued000002"),
      data: jobData("queued000002"),
      state: "delayed",
      promoted: 0,
    });

    await send(probot, { body: "/taskbox cancel", login: "maintainer" });

    expect(api.pendingMocks()).toEqual([]);
    expect(board.cancels).toEqual([
      { taskId: "queued000002", by: "maintainer" },
      { taskId: "running00001", by: "maintainer" },
    ]);
    // The queued task is gone from the queue and its line, its record and status comment say who cancelled it.
    expect(jobs.has(jobIdForTask("queued000002"))).toBe(false);
    expect(edits).toHaveLength(1);
    expect(edits[0]).toContain("taskbox:task=queued000002");
    expect(edits[0]).toContain("Cancelled by @maintainer");
    expect(board.records.get("queued000002")).toMatchObject({ state: "cancelled", cancelledBy: "maintainer" });
    // The running one is left to its worker, which kills its sandbox and finishes its comment.
    expect(jobs.get(jobIdForTask("running00001"))?.state).toBe("active");
    expect(board.records.get("running00001")?.state).toBe("running");
    expect(await board.line(THREAD)).toEqual(["running00001"]);
  });

  it("takes the label off a cancelled queued label task", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    api.patch(`${REPO}/issues/comments/903`).reply(200, {});
    api.delete(`${REPO}/issues/1/labels/taskbox`).reply(200, []);
    const { probot, board } = setup(queue);
    await seedTask(
      board,
      earlierTask({ taskId: "labelled0001", state: "queued", trigger: "label", statusCommentId: 903 }),
    );
    jobs.set(jobIdForTask("labelled0001"), {
      id: jobIdForTask("labelled0001"),
      data: jobData("labelled0001", { trigger: { kind: "label", label: "taskbox" } }),
      state: "waiting",
      promoted: 0,
    });

    await send(probot, { body: "/taskbox cancel" });

    expect(api.pendingMocks()).toEqual([]);
    expect(board.records.get("labelled0001")?.state).toBe("cancelled");
  });
});

describe("/taskbox retry", () => {
  useNock({ beforeEach, afterEach });

  it("runs the thread's last task again with the same request and quoted comments, as a new task", async () => {
    const { queue, data } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`, { content: "eyes" }).reply(201, {});
    const posted = statusComment(api, 1);
    const { probot, board } = setup(queue);
    const context = {
      comments: [{ author: "maintainer", trusted: true, body: "cover the CLI", createdAt: "2024-03-02T09:00:00Z" }],
      reviewComments: [],
    };
    await seedTask(
      board,
      earlierTask({
        taskId: "old000000001",
        state: "failed",
        request: "fix the crash",
        trigger: "label",
        context,
        pullRequest: undefined,
      }),
    );

    await send(probot, { body: "/taskbox retry", login: "maintainer" }, "retry-delivery");

    expect(api.pendingMocks()).toEqual([]);
    const taskId = taskIdForDelivery("retry-delivery");
    expect(posted[0]).toContain(`taskbox:task=${taskId}`);
    expect(data()[0]).toMatchObject({
      taskId,
      request: "fix the crash",
      trigger: { kind: "retry", retryOf: "old000000001" },
      context,
    });
    expect(board.records.get(taskId)).toMatchObject({
      trigger: "retry",
      retryOf: "old000000001",
      request: "fix the crash",
    });
  });

  it("refuses while the last task has not finished", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask({ taskId: "busy00000001", state: "running" }));
    await send(probot, { body: "/taskbox retry" });
    expect(replies[0]).toMatch(/`busy00000001`, has not finished yet/);
    expect(replies[0]).toContain("/taskbox cancel");
    expect(jobs.size).toBe(0);
  });

  it("replies when there is nothing to retry", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    await send(setup(queue).probot, { body: "/taskbox retry" });
    expect(replies[0]).toMatch(/no earlier Taskbox task on this issue/);
    expect(jobs.size).toBe(0);
  });

  it("refuses to retry on a pull request that has been closed since", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    pullRequest(api, 100, { state: "closed" });
    const replies = postedComments(api, 100, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask({ thread: { kind: "pull", number: 100 } }));
    await send(probot, { body: "/taskbox retry", issueNumber: 100, onPullRequest: true });
    expect(replies[0]).toMatch(/is closed/);
    expect(jobs.size).toBe(0);
  });
});

describe("/taskbox help", () => {
  useNock({ beforeEach, afterEach });

  it("lists every command, the label triggers with the configured names, and where the config reference is", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    configFile(api, "triggers:\n  command: /agent\n  label: ai\n");
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    await send(setup(queue).probot, { body: "/agent help" });
    const help = replies[0]!;
    for (const name of ["help", "status", "cancel", "retry"]) expect(help).toContain(`\`/agent ${name}\``);
    expect(help).toContain("`/agent <what to do>`");
    expect(help).toContain("label `ai` on an issue");
    expect(help).toContain("label `ai` on a pull request");
    expect(help).toContain("docs/configuration.md");
    expect(jobs.size).toBe(0);
  });
});
