import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jobIdForTask, taskIdForDelivery } from "../../../src/queue/task-job.js";
import { issueCommentCreated } from "../../support/webhook-payloads.js";
import {
  API,
  REPO,
  UNIT_TOKEN,
  configFile,
  earlierTask,
  fakeQueue,
  noConfigFile,
  permission,
  postedComments,
  pullRequest,
  statusComment,
  seedTask,
  send,
  setup,
  useNock,
} from "./web-fixtures.js";

describe("issue_comment.created", () => {
  useNock({ beforeEach, afterEach });

  it("reacts, posts a Queued status comment, records and enqueues one job for a collaborator with write access", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "maintain");
    api.post(`${REPO}/issues/comments/1/reactions`, { content: "eyes" }).reply(201, {});
    noConfigFile(api);
    const posted = statusComment(api, 1);

    const { probot, board } = setup(queue);
    await send(probot, { body: "/taskbox add input validation\nto the signup form" });

    expect(api.pendingMocks()).toEqual([]);
    const taskId = taskIdForDelivery("delivery-1");
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain(`taskbox:task=${taskId}`);
    expect(posted[0]).toMatch(/queued/i);
    expect(posted[0]).not.toMatch(/waits for/i);
    const job = jobs.get(jobIdForTask(taskId))?.data;
    expect(job).toMatchObject({
      taskId,
      installationId: 42,
      owner: "octo",
      repo: "hello",
      defaultBranch: "main",
      requestedBy: "maintainer",
      request: "add input validation\nto the signup form",
      statusCommentId: 555,
      issue: { number: 1, author: "maintainer", authorTrusted: true },
      thread: "issue",
      trigger: { kind: "comment" },
    });
    expect(job?.config.agent.model).toBe("test-model");
    expect(JSON.stringify(job)).not.toContain(UNIT_TOKEN);
    expect(board.records.get(taskId)).toMatchObject({
      state: "queued",
      trigger: "comment",
      request: "add input validation\nto the signup form",
      requestedBy: "maintainer",
      statusCommentId: 555,
      statusCommentUrl: "https://github.com/octo/hello/issues/1#issuecomment-555",
    });
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual([taskId]);
  });

  it("queues a second task behind the thread's unfinished one, and its status comment says so", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    const posted = statusComment(api, 1);
    const { probot, board } = setup(queue);
    await seedTask(board, earlierTask({ taskId: "runningtask1", state: "running", pullRequest: undefined }));

    await send(probot, { body: "/taskbox also add tests" });

    expect(posted[0]).toMatch(/Waits for task `runningtask1` on this issue to finish, then runs on its result/);
    const taskId = taskIdForDelivery("delivery-1");
    expect(jobs.has(jobIdForTask(taskId))).toBe(true);
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual(["runningtask1", taskId]);
  });

  it.each(["read", "triage", "none"])(
    "refuses a user with %s permission with one reply, and starts nothing",
    async (role) => {
      const { queue, jobs } = fakeQueue();
      const api = nock(API);
      noConfigFile(api);
      permission(api, "visitor", role);
      const replies = postedComments(api, 1, 1);

      const { probot, board } = setup(queue);
      await send(probot, { body: "/taskbox delete everything", login: "visitor" });

      expect(api.pendingMocks()).toEqual([]);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toContain("@visitor");
      expect(replies[0]).toMatch(/write/);
      expect(jobs.size).toBe(0);
      expect(board.records.size).toBe(0);
    },
  );

  it("ignores comments by bots without calling GitHub", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500).post(/.*/).reply(500);
    await send(setup(queue).probot, { body: "/taskbox do it", login: "taskbox[bot]", userType: "Bot" });
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(2); // nothing was requested
  });

  it("never loads the config for comments that cannot be a command", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500);
    const { probot } = setup(queue);
    await send(probot, { body: "please /taskbox do it" });
    await send(probot, { body: " /taskbox fix it" }, "delivery-2");
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  it("does nothing else for a comment that only looks like a command", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    await send(setup(queue).probot, { body: "/taskboxes are great" });
    expect(api.pendingMocks()).toEqual([]); // only the config was read
    expect(jobs.size).toBe(0);
  });

  it("uses the command word of the repository's triggers.command, and no longer the default", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    configFile(api, "triggers:\n  command: /agent\n");
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    statusComment(api, 1);
    configFile(api, "triggers:\n  command: /agent\n");
    const { probot } = setup(queue);

    await send(probot, { body: "/agent fix the typo in README" });
    await send(probot, { body: "/taskbox fix the typo in README" }, "delivery-2");

    expect(api.pendingMocks()).toEqual([]);
    expect([...jobs.values()].map((job) => job.data.request)).toEqual(["fix the typo in README"]);
  });

  it.each([
    ["a redelivered webhook", "same-delivery"],
    ["a signed body replayed under a new delivery id", "replayed-delivery"],
  ])("makes one task of %s, without a GitHub call for the second", async (_what, secondDelivery) => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    const posted = statusComment(api, 1, 7);
    const { probot } = setup(queue);

    await send(probot, { body: "/taskbox fix it" }, "same-delivery");
    await send(probot, { body: "/taskbox fix it" }, secondDelivery);

    expect(api.pendingMocks()).toEqual([]);
    expect(jobs.size).toBe(1);
    expect(posted).toHaveLength(1);
  });

  it("answers a bare command with how to use it", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "admin");
    const replies = postedComments(api, 1, 1);
    await send(setup(queue).probot, { body: "/taskbox\n" });
    expect(replies[0]).toContain("/taskbox <");
    expect(jobs.size).toBe(0);
  });

  it("answers an unknown one-word subcommand helpfully instead of starting a task", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    const replies = postedComments(api, 1, 1);
    await send(setup(queue).probot, { body: "/taskbox cancle" });
    expect(api.pendingMocks()).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain("`/taskbox cancle` is not a Taskbox command");
    expect(replies[0]).toContain("did you mean `/taskbox cancel`?");
    expect(replies[0]).toMatch(/more than one word/);
    expect(jobs.size).toBe(0);
  });

  it("reports a YAML error with file, line and column, and starts nothing", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "write");
    configFile(api, "agent:\n  model: [unclosed\n");
    const replies = postedComments(api, 1, 1);

    await send(setup(queue).probot, { body: "/taskbox fix it" });

    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(".github/taskbox.yml");
    expect(replies[0]).toMatch(/line \d+, column \d+/);
    expect(jobs.size).toBe(0);
  });

  it("marks the issue text untrusted when its author cannot write to the repository", async () => {
    const { queue, data } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    permission(api, "reporter", "read");
    statusComment(api, 1, 9);

    await send(setup(queue).probot, { body: "/taskbox fix it", issueAuthor: "reporter" });

    expect(data()[0]?.issue).toMatchObject({ author: "reporter", authorTrusted: false });
  });

  it("turns the status comment into a failure when the queue is down, takes the task off its line, and fails the delivery", async () => {
    const { queue } = fakeQueue({ failAdd: true });
    const edits: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    statusComment(api, 1, 31);
    api.patch(`${REPO}/issues/comments/31`, (body: { body: string }) => edits.push(body.body) > 0).reply(200, {});
    const { probot, board } = setup(queue);

    await expect(send(probot, { body: "/taskbox fix it" })).rejects.toThrow();
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatch(/could not queue/i);
    expect(await board.line({ repository: "octo/hello", number: 1 })).toEqual([]);
    expect(board.records.get(taskIdForDelivery("delivery-1"))?.state).toBe("failed");
  });

  it("never starts a task from an edited comment", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500).post(/.*/).reply(500);
    const payload = {
      ...issueCommentCreated({ body: "/taskbox do it" }),
      action: "edited",
      changes: { body: { from: "hi" } },
    };
    await setup(queue).probot.receive({ id: "edit-1", name: "issue_comment", payload } as never);
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(2);
  });
});

describe("issue_comment.created on a pull request", () => {
  useNock({ beforeEach, afterEach });

  it("queues a follow-up on a pull request whose branch is in the same repository, with the status comment on the PR", async () => {
    const { queue, data } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    pullRequest(api, 100);
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    permission(api, "taskbox[bot]", "none");
    const posted = statusComment(api, 100, 777);
    const { probot, board } = setup(queue);

    await send(probot, {
      body: "/taskbox also handle whitespace-only e-mails",
      issueNumber: 100,
      onPullRequest: true,
      issueAuthor: "taskbox[bot]",
    });

    expect(api.pendingMocks()).toEqual([]);
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatch(/queued/i);
    expect(data()[0]).toMatchObject({
      thread: "pull",
      issue: { number: 100 },
      request: "also handle whitespace-only e-mails",
      statusCommentId: 777,
    });
    expect(board.records.get(data()[0]!.taskId)?.thread).toEqual({ kind: "pull", number: 100 });
  });

  it("refuses a fork pull request with a clear reply and queues nothing", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    pullRequest(api, 100, { headRepo: "stranger/hello" });
    const replies = postedComments(api, 100, 1);

    await send(setup(queue).probot, {
      body: "/taskbox fix the review comments",
      issueNumber: 100,
      onPullRequest: true,
    });

    expect(api.pendingMocks()).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/does not work on pull requests from forks/);
    expect(replies[0]).toMatch(/secrets/);
    expect(jobs.size).toBe(0);
  });

  it("refuses a closed pull request", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    noConfigFile(api);
    permission(api, "maintainer", "write");
    pullRequest(api, 100, { state: "closed", merged: true });
    const replies = postedComments(api, 100, 1);

    await send(setup(queue).probot, { body: "/taskbox one more change", issueNumber: 100, onPullRequest: true });

    expect(replies[0]).toMatch(/is merged; Taskbox adds commits only to open pull requests/);
    expect(jobs.size).toBe(0);
  });
});
