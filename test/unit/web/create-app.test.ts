import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  INTAKE_JOB_VERSION,
  digestOfPayload,
  jobIdForIntake,
  type IntakeJobData,
} from "../../../src/queue/intake-job.js";
import type { IntakeQueue } from "../../../src/queue/intake-queue.js";
import { createTaskboxApp } from "../../../src/web/create-app.js";
import { issueCommentCreated, issuesLabeled, pullRequestLabeled } from "../../support/webhook-payloads.js";

/** The webhook path alone: what it queues for the intake step, with every GitHub call refused. */
function webhookPath(options: { failAdd?: boolean } = {}) {
  const added: Array<{ data: IntakeJobData; jobId: string }> = [];
  const intake = {
    add: async (_name: string, data: IntakeJobData, opts: { jobId: string }) => {
      if (options.failAdd) throw new Error("Connection is closed.");
      const first = added.find((job) => job.jobId === opts.jobId);
      if (!first) added.push({ data, jobId: opts.jobId });
      return { data: first?.data ?? data };
    },
  } as unknown as IntakeQueue;
  const probot = new Probot({
    githubToken: "ghs_unused",
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    log: pino({ level: "silent" }),
  });
  void probot.load(createTaskboxApp({ intake }), { cwd: process.cwd(), addHandler: () => {} });
  const receive = (name: string, payload: object, id = "delivery-1") => probot.receive({ id, name, payload } as never);
  return { added, receive };
}

describe("the webhook path", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => nock.enableNetConnect());

  it("queues a command comment for the intake step as it arrived, without calling GitHub", async () => {
    const { added, receive } = webhookPath();
    const payload = issueCommentCreated({ body: "/taskbox fix the signup form" });

    await receive("issue_comment", payload);

    expect(added).toEqual([
      {
        jobId: jobIdForIntake(digestOfPayload(payload)),
        data: { version: INTAKE_JOB_VERSION, deliveryId: "delivery-1", name: "issue_comment", payload },
      },
    ]);
  });

  it("queues trigger-label candidates on issues and pull requests; the config decides later which label counts", async () => {
    const { added, receive } = webhookPath();
    await receive("issues", issuesLabeled({ label: "anything" }), "label-1");
    await receive("pull_request", pullRequestLabeled({}), "label-2");
    expect(added.map((job) => job.data.name)).toEqual(["issues", "pull_request"]);
  });

  it("ignores comments that cannot be commands and anything a bot did", async () => {
    const { added, receive } = webhookPath();
    await receive("issue_comment", issueCommentCreated({ body: "thanks, /taskbox is neat" }), "d1");
    await receive("issue_comment", issueCommentCreated({ body: "/taskbox fix it", userType: "Bot" }), "d2");
    await receive("issues", issuesLabeled({ userType: "Bot" }), "d3");
    expect(added).toEqual([]);
  });

  it("queues one intake job for a signed body replayed under a new delivery id", async () => {
    const { added, receive } = webhookPath();
    const payload = issueCommentCreated({ body: "/taskbox fix it" });
    await receive("issue_comment", payload, "first");
    await receive("issue_comment", structuredClone(payload), "replayed");
    expect(added.map((job) => job.data.deliveryId)).toEqual(["first"]);
  });

  it("answers 503 while the intake queue cannot be reached", async () => {
    const { receive } = webhookPath({ failAdd: true });
    const error = await receive("issue_comment", issueCommentCreated({ body: "/taskbox fix it" })).catch(
      (caught: unknown) => caught,
    );
    // Probot's middleware answers with the status of the error its handler threw, as the e2e redis-outage test sees.
    expect((error as AggregateError).errors).toMatchObject([{ status: 503 }]);
  });
});
