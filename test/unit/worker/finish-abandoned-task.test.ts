import nock from "nock";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finishAbandonedTask, isStalledTooOften } from "../../../src/worker/finish-abandoned-task.js";
import type { TaskJobData } from "../../../src/queue/task-job.js";

const API = "https://api.github.com";
const BRANCH_REF = "/repos/octo/hello/git/ref/heads%2Ftaskbox%2F7-abcdef12";

const job = {
  taskId: "abcdef1234",
  installationId: 1,
  owner: "octo",
  repo: "hello",
  issue: { number: 7, title: "t", body: null, author: "maintainer", authorTrusted: true },
  statusCommentId: 42,
  requestedBy: "maintainer",
} as TaskJobData;

function finish(maxStalledCount: number) {
  const octokit = new ProbotOctokit({ auth: { token: "t" }, retry: { enabled: false }, throttle: { enabled: false } });
  return finishAbandonedTask({
    job,
    maxStalledCount,
    installation: async (installationId) => {
      expect(installationId).toBe(1);
      return { octokit, mintToken: async () => "t" };
    },
    log: pino({ level: "silent" }),
  });
}

function finalBody(api: nock.Scope): () => string {
  let body = "";
  api.patch("/repos/octo/hello/issues/comments/42").reply(200, (_uri, request) => {
    body = (request as { body: string }).body;
    return { id: 42, html_url: "https://github.com/octo/hello/issues/7#issuecomment-42" };
  });
  return () => body;
}

describe("finishAbandonedTask", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("recognises BullMQ's reason for giving up on a stalled job", () => {
    expect(isStalledTooOften(new Error("job stalled more than allowable limit"))).toBe(true);
    expect(isStalledTooOften(new Error("model unavailable"))).toBe(false);
  });

  it("fails the status comment, saying how often the task was run again, when no branch was pushed", async () => {
    const api = nock(API).get(BRANCH_REF).reply(404, { message: "Not Found" });
    const body = finalBody(api);

    await finish(2);

    expect(api.isDone()).toBe(true);
    expect(body()).toContain("The worker running this task stopped");
    expect(body()).toContain("run again 2 times");
  });

  it("names the pull request the interrupted run opened", async () => {
    const api = nock(API)
      .get(BRANCH_REF)
      .reply(200, { ref: "refs/heads/taskbox/7-abcdef12" })
      .get("/repos/octo/hello/pulls")
      .query({ head: "octo:taskbox/7-abcdef12", state: "all", per_page: "1" })
      .reply(200, [{ number: 8, html_url: "https://github.com/octo/hello/pull/8" }]);
    const body = finalBody(api);

    await finish(0);

    expect(api.isDone()).toBe(true);
    expect(body()).toContain("TASKBOX_MAX_STALLED_COUNT is 0");
    expect(body()).toContain("[#8](https://github.com/octo/hello/pull/8)");
  });

  it("deletes a branch the interrupted run pushed without a pull request", async () => {
    const api = nock(API)
      .get(BRANCH_REF)
      .reply(200, { ref: "refs/heads/taskbox/7-abcdef12" })
      .get("/repos/octo/hello/pulls")
      .query(true)
      .reply(200, [])
      .delete("/repos/octo/hello/git/refs/heads%2Ftaskbox%2F7-abcdef12")
      .reply(204);
    const body = finalBody(api);

    await finish(1);

    expect(api.isDone()).toBe(true);
    expect(body()).toContain("run again once");
  });
});
