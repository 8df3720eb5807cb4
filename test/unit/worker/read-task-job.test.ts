import nock from "nock";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TASK_JOB_VERSION } from "../../../src/queue/task-job.js";
import { failUnreadableJob, readTaskJob } from "../../../src/worker/read-task-job.js";
import { createMemoryTaskBoard } from "../../support/memory-task-board.js";

const API = "https://api.github.com";

/** A job as a later Taskbox might queue it: the address every version keeps, and a shape this one does not know. */
const futureJob = {
  version: TASK_JOB_VERSION + 1,
  taskId: "abcdef123456",
  installationId: 7,
  owner: "octo",
  repo: "hello",
  statusCommentId: 42,
  requestedBy: "maintainer",
  issue: { number: 3 },
  request: { text: "a request in a newer shape" },
};

describe("reading a task job", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("names the version a job was queued as when it is not this worker's", () => {
    const read = readTaskJob(futureJob);
    expect(read).toEqual({
      ok: false,
      problem: expect.stringContaining(`job version ${TASK_JOB_VERSION + 1}`) as string,
    });
    expect(readTaskJob({ ...futureJob, version: undefined })).toMatchObject({
      ok: false,
      problem: expect.stringContaining("without a job version") as string,
    });
  });

  it("refuses a job of this version whose data does not fit it, naming the field", () => {
    const read = readTaskJob({ ...futureJob, version: TASK_JOB_VERSION });
    expect(read.ok).toBe(false);
    expect(!read.ok && read.problem).toMatch(/request/);
  });

  it("fails the task of an unreadable job in its status comment and moves its thread's line on", async () => {
    const board = createMemoryTaskBoard();
    const thread = { repository: "octo/hello", number: 3 };
    await board.add({
      taskId: futureJob.taskId,
      repository: thread.repository,
      thread: { kind: "issue", number: 3 },
      trigger: "comment",
      request: "r",
      requestedBy: "maintainer",
      state: "queued",
      createdAt: 1,
      statusCommentId: 42,
    });
    const edits: string[] = [];
    const api = nock(API)
      .patch("/repos/octo/hello/issues/comments/42", (body: { body: string }) => edits.push(body.body) > 0)
      .reply(200, { id: 42 });
    const octokit = new ProbotOctokit({
      auth: { token: "t" },
      retry: { enabled: false },
      throttle: { enabled: false },
    });

    const status = await failUnreadableJob(futureJob, "queued as job version 2", {
      installation: async (installationId) => {
        expect(installationId).toBe(7);
        return { octokit, mintToken: async () => "t" };
      },
      board,
      log: pino({ level: "silent" }),
    });

    expect(api.pendingMocks()).toEqual([]);
    expect(status?.state).toBe("failed");
    expect(edits[0]).toContain("cannot read it: queued as job version 2");
    expect(edits[0]).toContain("Comment again once every process runs the same version");
    expect((await board.get(futureJob.taskId))?.state).toBe("failed");
    expect(await board.line(thread)).toEqual([]);
  });

  it("logs a job that does not say where its status comment is, and calls nobody", async () => {
    const status = await failUnreadableJob({ version: 99 }, "queued as job version 99", {
      installation: () => Promise.reject(new Error("must not be called")),
      board: createMemoryTaskBoard(),
      log: pino({ level: "silent" }),
    });
    expect(status).toBeUndefined();
  });
});
