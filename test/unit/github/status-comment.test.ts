import nock from "nock";
import pino from "pino";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createStatusCommentUpdater,
  postStatusComment,
  updateStatusComment,
} from "../../../src/github/status-comment.js";
import { statusMarker } from "../../../src/report/render-status.js";
import type { TaskStatus } from "../../../src/report/task-status.js";

const API = "https://api.github.com";
const COMMENTS = "/repos/octo/hello/issues/7/comments";
const target = { owner: "octo", repo: "hello", issueNumber: 7, taskId: "t-1" };
const NOW = Date.parse("2026-01-10T12:00:00Z");

function client() {
  return new ProbotOctokit({ auth: { token: "test-token" }, retry: { enabled: false }, throttle: { enabled: false } });
}

const comment = (id: number, body: string, type = "Bot") => ({ id, body, user: { login: "someone", type } });

function running(turn: number): TaskStatus {
  return { taskId: "t-1", state: "running", requestedBy: "octocat", turn, timings: {} };
}

describe("the status comment writer", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("creates the comment when no earlier delivery posted one, looking back three days", async () => {
    let since: string | undefined;
    const api = nock(API)
      .get(COMMENTS)
      .query((query) => {
        since = query.since as string;
        return true;
      })
      .reply(200, [comment(1, "unrelated"), comment(2, `${statusMarker("t-other")} queued`)])
      .post(COMMENTS, { body: "queued" })
      .reply(201, { id: 99, html_url: "https://github.com/octo/hello/issues/7#issuecomment-99" });

    const posted = await postStatusComment(client(), target, "queued", () => NOW);

    expect(posted).toMatchObject({ id: 99, html_url: expect.stringContaining("issuecomment-99") });
    expect(since).toBe("2026-01-07T12:00:00.000Z");
    expect(api.isDone()).toBe(true);
  });

  it("takes over the comment an interrupted delivery posted, found by its marker on a later page", async () => {
    const api = nock(API)
      .get(COMMENTS)
      .query((query) => query.page === undefined && query.per_page === "100")
      .reply(200, [comment(1, "first page")], {
        Link: `<${API}${COMMENTS}?per_page=100&page=2>; rel="next", <${API}${COMMENTS}?per_page=100&page=2>; rel="last"`,
      })
      .get(COMMENTS)
      .query((query) => query.page === "2")
      .reply(200, [comment(2, `${statusMarker("t-1")} queued`)])
      .patch("/repos/octo/hello/issues/comments/2", { body: "queued again" })
      .reply(200, { id: 2, html_url: "https://github.com/octo/hello/issues/7#issuecomment-2" });

    const posted = await postStatusComment(client(), target, "queued again", () => NOW);

    expect(posted.id).toBe(2);
    expect(api.isDone()).toBe(true);
  });

  it("does not take over a person's comment that quotes the marker", async () => {
    const api = nock(API)
      .get(COMMENTS)
      .query(true)
      .reply(200, [comment(3, `${statusMarker("t-1")} copied`, "User")])
      .post(COMMENTS)
      .reply(201, { id: 100, html_url: "https://github.com/octo/hello/issues/7#issuecomment-100" });

    expect((await postStatusComment(client(), target, "queued", () => NOW)).id).toBe(100);
    expect(api.isDone()).toBe(true);
  });

  it("replaces the body of an existing comment", async () => {
    const api = nock(API)
      .patch("/repos/octo/hello/issues/comments/42", { body: "cancelled" })
      .reply(200, { id: 42, html_url: "https://github.com/octo/hello/issues/7#issuecomment-42" });

    await updateStatusComment(client(), { owner: "octo", repo: "hello", commentId: 42 }, "cancelled");

    expect(api.isDone()).toBe(true);
  });

  it("throttles a running task's edits: the first at once, then only the final one", async () => {
    const bodies: string[] = [];
    const api = nock(API)
      .patch("/repos/octo/hello/issues/comments/42")
      .times(2)
      .reply(200, (_uri, body) => {
        bodies.push((body as { body: string }).body);
        return { id: 42, html_url: "https://github.com/octo/hello/issues/7#issuecomment-42" };
      });
    const updater = createStatusCommentUpdater(
      client(),
      { owner: "octo", repo: "hello", commentId: 42 },
      { redact: (text) => text.replaceAll("s3cret", "***"), minIntervalMs: 3_600_000, log: pino({ level: "silent" }) },
    );

    updater.update(running(1));
    updater.update(running(2)); // within the interval: held, then superseded by finish()
    await updater.finish({ ...running(3), state: "answered", summary: "done with s3cret" });

    expect(api.isDone()).toBe(true);
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain(statusMarker("t-1"));
    expect(bodies[1]).toContain("done with ***");
    expect(bodies.join("\n")).not.toContain("s3cret");
  });
});
