import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaskJobData } from "../../../src/queue/task-job.js";
import { jobIdForTask, taskIdForDelivery } from "../../../src/queue/task-job.js";
import type { TaskQueue } from "../../../src/queue/task-queue.js";
import { createTaskboxApp } from "../../../src/web/create-app.js";
import { issueCommentCreated, type IssueCommentOptions } from "../../support/webhook-payloads.js";

const API = "https://api.github.com";
const REPO = "/repos/octo/hello";
const UNIT_TOKEN = "ghs_unit_token_value";

/** Stands in for BullMQ: keeps jobs by id, as BullMQ does with custom job ids. */
function fakeQueue(options: { failAdd?: boolean } = {}) {
  const jobs = new Map<string, TaskJobData>();
  const queue = {
    getJob: async (id: string) => (jobs.has(id) ? { id, data: jobs.get(id) } : undefined),
    add: async (_name: string, data: TaskJobData, opts: { jobId: string }) => {
      if (options.failAdd) throw new Error("Connection is closed.");
      if (!jobs.has(opts.jobId)) jobs.set(opts.jobId, data);
    },
  };
  return { queue: queue as unknown as TaskQueue, jobs };
}

const TestOctokit = ProbotOctokit.defaults((options: object) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

function setup(queue: TaskQueue, secrets: Record<string, Record<string, string>> = {}) {
  const probot = new Probot({ githubToken: UNIT_TOKEN, Octokit: TestOctokit, log: pino({ level: "silent" }) });
  void probot.load(
    createTaskboxApp({
      queue,
      configDefaults: { defaultModel: "test-model", defaultImage: "taskbox-sandbox:latest" },
      loadSecrets: async () => secrets,
    }),
    { cwd: process.cwd(), addHandler: () => {} },
  );
  return probot;
}

function send(probot: Probot, options: IssueCommentOptions, deliveryId = "delivery-1") {
  return probot.receive({ id: deliveryId, name: "issue_comment", payload: issueCommentCreated(options) } as never);
}

function permission(api: nock.Scope, login: string, role: string) {
  const permission = role === "maintain" ? "write" : role;
  return api.get(`${REPO}/collaborators/${login}/permission`).reply(200, { permission, role_name: role, user: { login } });
}

function noConfigFile(api: nock.Scope) {
  return api
    .get(`${REPO}/contents/.github%2Ftaskbox.yml`)
    .reply(404, { message: "Not Found" })
    .get("/repos/octo/.github/contents/.github%2Ftaskbox.yml")
    .reply(404, { message: "Not Found" });
}

function configFile(api: nock.Scope, yaml: string) {
  return api.get(`${REPO}/contents/.github%2Ftaskbox.yml`).reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
}

describe("issue_comment.created", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("reacts, posts a Queued status comment and enqueues one job for a collaborator with write access", async () => {
    const { queue, jobs } = fakeQueue();
    const posted: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "maintain");
    api.post(`${REPO}/issues/comments/1/reactions`, { content: "eyes" }).reply(201, {});
    noConfigFile(api);
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => posted.push(body.body) > 0).reply(201, { id: 555 });

    await send(setup(queue), { body: "/taskbox add input validation\nto the signup form" });

    expect(api.pendingMocks()).toEqual([]);
    const taskId = taskIdForDelivery("delivery-1");
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain(`taskbox:task=${taskId}`);
    expect(posted[0]).toMatch(/queued/i);
    const job = jobs.get(jobIdForTask(taskId));
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
    });
    expect(job?.config.agent.model).toBe("test-model");
    expect(JSON.stringify(job)).not.toContain(UNIT_TOKEN);
  });

  it.each(["read", "triage", "none"])("refuses a user with %s permission with one reply, and starts nothing", async (role) => {
    const { queue, jobs } = fakeQueue();
    const replies: string[] = [];
    const api = nock(API);
    permission(api, "visitor", role);
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => replies.push(body.body) > 0).reply(201, { id: 1 });

    await send(setup(queue), { body: "/taskbox delete everything", login: "visitor" });

    expect(api.pendingMocks()).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain("@visitor");
    expect(replies[0]).toMatch(/write/);
    expect(jobs.size).toBe(0);
  });

  it("ignores comments by bots without calling GitHub", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500).post(/.*/).reply(500);
    await send(setup(queue), { body: "/taskbox do it", login: "taskbox[bot]", userType: "Bot" });
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(2); // nothing was requested
  });

  it("ignores comments that do not start with the command word", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500);
    const probot = setup(queue);
    await send(probot, { body: "please /taskbox do it" });
    await send(probot, { body: "/taskboxes are great" }, "delivery-2");
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(1);
  });

  it("makes one task of a redelivered webhook", async () => {
    const { queue, jobs } = fakeQueue();
    const posted: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => posted.push(body.body) > 0).reply(201, { id: 7 });
    const probot = setup(queue);

    await send(probot, { body: "/taskbox fix it" }, "same-delivery");
    await send(probot, { body: "/taskbox fix it" }, "same-delivery");

    expect(api.pendingMocks()).toEqual([]);
    expect(jobs.size).toBe(1);
    expect(posted).toHaveLength(1);
  });

  it("answers a bare command with how to use it", async () => {
    const { queue, jobs } = fakeQueue();
    const replies: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "admin");
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => replies.push(body.body) > 0).reply(201, { id: 1 });
    await send(setup(queue), { body: "/taskbox\n" });
    expect(replies[0]).toContain("/taskbox <");
    expect(jobs.size).toBe(0);
  });

  it("reports a YAML error with file, line and column, and starts nothing", async () => {
    const { queue, jobs } = fakeQueue();
    const replies: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    configFile(api, "agent:\n  model: [unclosed\n");
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => replies.push(body.body) > 0).reply(201, { id: 1 });

    await send(setup(queue), { body: "/taskbox fix it" });

    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(".github/taskbox.yml");
    expect(replies[0]).toMatch(/line \d+, column \d+/);
    expect(jobs.size).toBe(0);
  });

  it("reports a secret name the server does not define for this repository", async () => {
    const { queue, jobs } = fakeQueue();
    const replies: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    configFile(api, "environment:\n  secrets: [NPM_TOKEN]\n");
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => replies.push(body.body) > 0).reply(201, { id: 1 });

    await send(setup(queue, { "octo/other": { NPM_TOKEN: "not-yours" } }), { body: "/taskbox fix it" });

    expect(replies[0]).toContain("NPM_TOKEN");
    expect(replies[0]).not.toContain("not-yours");
    expect(jobs.size).toBe(0);
  });

  it("marks the issue text untrusted when its author cannot write to the repository", async () => {
    const { queue, jobs } = fakeQueue();
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    permission(api, "reporter", "read");
    api.post(`${REPO}/issues/1/comments`).reply(201, { id: 9 });

    await send(setup(queue), { body: "/taskbox fix it", issueAuthor: "reporter" });

    expect([...jobs.values()][0]?.issue).toMatchObject({ author: "reporter", authorTrusted: false });
  });

  it("turns the status comment into a failure when the queue is down, and fails the delivery", async () => {
    const { queue } = fakeQueue({ failAdd: true });
    const edits: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/comments/1/reactions`).reply(201, {});
    noConfigFile(api);
    api.post(`${REPO}/issues/1/comments`).reply(201, { id: 31 });
    api.patch(`${REPO}/issues/comments/31`, (body: { body: string }) => edits.push(body.body) > 0).reply(200, {});

    await expect(send(setup(queue), { body: "/taskbox fix it" })).rejects.toThrow();
    expect(edits).toHaveLength(1);
    expect(edits[0]).toMatch(/could not queue/i);
  });
});

describe("issue_comment subcommands and other events", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("answers /taskbox help with the commands and queues nothing", async () => {
    const { queue, jobs } = fakeQueue();
    const replies: string[] = [];
    const api = nock(API);
    permission(api, "maintainer", "write");
    api.post(`${REPO}/issues/1/comments`, (body: { body: string }) => replies.push(body.body) > 0).reply(201, { id: 1 });
    await send(setup(queue), { body: "/taskbox help" });
    expect(api.pendingMocks()).toEqual([]);
    expect(replies[0]).toContain("/taskbox help");
    expect(jobs.size).toBe(0);
  });

  it("never starts a task from an edited comment", async () => {
    const { queue, jobs } = fakeQueue();
    nock(API).get(/.*/).reply(500).post(/.*/).reply(500);
    const payload = { ...issueCommentCreated({ body: "/taskbox do it" }), action: "edited", changes: { body: { from: "hi" } } };
    await setup(queue).receive({ id: "edit-1", name: "issue_comment", payload } as never);
    expect(jobs.size).toBe(0);
    expect(nock.pendingMocks()).toHaveLength(2);
  });
});
