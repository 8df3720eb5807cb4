import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import type { TaskJobData } from "../../../src/queue/task-job.js";
import type { TaskQueue } from "../../../src/queue/task-queue.js";
import type { TaskRecord } from "../../../src/queue/task-record.js";
import { intakeJobSchema, type IntakeJobData } from "../../../src/queue/intake-job.js";
import type { IntakeQueue } from "../../../src/queue/intake-queue.js";
import { createTaskboxApp } from "../../../src/web/create-app.js";
import { createIntakeStep } from "../../../src/web/intake.js";
import { createMemoryTaskBoard, type MemoryTaskBoard } from "../../support/memory-task-board.js";
import {
  issueCommentCreated,
  issuesLabeled,
  pullRequestLabeled,
  type IssueCommentOptions,
  type LabeledOptions,
  type PullRequestLabeledOptions,
} from "../../support/webhook-payloads.js";

export const API = "https://api.github.com";
export const REPO = "/repos/octo/hello";
export const UNIT_TOKEN = "ghs_unit_token_value";

export type FakeJobState = "waiting" | "delayed" | "active" | "completed";

export interface FakeJob {
  id: string;
  data: TaskJobData;
  state: FakeJobState;
  promoted: number;
}

/** Stands in for BullMQ: keeps jobs by id, as BullMQ does with custom job ids; active jobs cannot be removed. */
export function fakeQueue(options: { failAdd?: boolean } = {}) {
  const jobs = new Map<string, FakeJob>();
  const handle = (job: FakeJob) => ({
    id: job.id,
    data: job.data,
    getState: async () => job.state,
    remove: async () => {
      if (job.state === "active")
        throw new Error(`Job ${job.id} could not be removed because it is locked by another worker`);
      jobs.delete(job.id);
    },
    promote: async () => {
      if (job.state !== "delayed") throw new Error(`Job ${job.id} is not in the delayed state`);
      job.state = "waiting";
      job.promoted++;
    },
  });
  const queue = {
    getJob: async (id: string) => (jobs.has(id) ? handle(jobs.get(id)!) : undefined),
    add: async (_name: string, data: TaskJobData, opts: { jobId: string }) => {
      if (options.failAdd) throw new Error("Connection is closed.");
      if (!jobs.has(opts.jobId)) jobs.set(opts.jobId, { id: opts.jobId, data, state: "waiting", promoted: 0 });
    },
  };
  return { queue: queue as unknown as TaskQueue, jobs, data: () => [...jobs.values()].map((job) => job.data) };
}

const TestOctokit = ProbotOctokit.defaults((options: object) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

/**
 * Probot with Taskbox's app, its intake queue run at once: each queued webhook goes through the intake step before
 * the webhook's handler returns, so a test sees the step's GitHub calls and errors as Probot's receive settles.
 */
export function setup(
  queue: TaskQueue,
  options: { board?: MemoryTaskBoard } = {},
): { probot: Probot; board: MemoryTaskBoard } {
  const board = options.board ?? createMemoryTaskBoard();
  const log = pino({ level: "silent" });
  const probot = new Probot({ githubToken: UNIT_TOKEN, Octokit: TestOctokit, log });
  const intakeStep = createIntakeStep({
    deps: { queue, board, configDefaults: { defaultModel: "test-model", defaultImage: "taskbox-sandbox:latest" } },
    installation: () => probot.auth(),
    log,
  });
  const seen = new Set<string>();
  const intake = {
    add: async (_name: string, data: IntakeJobData, opts: { jobId: string }) => {
      if (!seen.has(opts.jobId)) {
        seen.add(opts.jobId);
        await intakeStep(intakeJobSchema.parse(data));
      }
      return { data };
    },
  };
  void probot.load(createTaskboxApp({ intake: intake as unknown as IntakeQueue }), {
    cwd: process.cwd(),
    addHandler: () => {},
  });
  return { probot, board };
}

export function send(probot: Probot, options: IssueCommentOptions, deliveryId = "delivery-1") {
  return probot.receive({ id: deliveryId, name: "issue_comment", payload: issueCommentCreated(options) } as never);
}

export function sendLabel(probot: Probot, options: LabeledOptions = {}, deliveryId = "label-1") {
  return probot.receive({ id: deliveryId, name: "issues", payload: issuesLabeled(options) } as never);
}

export function sendPullLabel(probot: Probot, options: PullRequestLabeledOptions = {}, deliveryId = "pull-label-1") {
  return probot.receive({ id: deliveryId, name: "pull_request", payload: pullRequestLabeled(options) } as never);
}

export function permission(api: nock.Scope, login: string, role: string) {
  const legacy = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  return api
    .get(`${REPO}/collaborators/${encodeURIComponent(login)}/permission`)
    .reply(200, { permission: legacy, role_name: role, user: { login } });
}

export function noConfigFile(api: nock.Scope) {
  return api
    .get(`${REPO}/contents/.github%2Ftaskbox.yml`)
    .reply(404, { message: "Not Found" })
    .get("/repos/octo/.github/contents/.github%2Ftaskbox.yml")
    .reply(404, { message: "Not Found" });
}

export function configFile(api: nock.Scope, yaml: string) {
  return api
    .get(`${REPO}/contents/.github%2Ftaskbox.yml`)
    .reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
}

/** Records the bodies of comments posted on an issue; replies with an id and an html_url. */
export function postedComments(api: nock.Scope, issue: number, id = 555, times = 1): string[] {
  const posted: string[] = [];
  api
    .post(`${REPO}/issues/${issue}/comments`, (body: { body: string }) => posted.push(body.body) > 0)
    .times(times)
    .reply(201, { id, html_url: `https://github.com/octo/hello/issues/${issue}#issuecomment-${id}` });
  return posted;
}

/** A new task's status comment: Taskbox first looks for one an earlier delivery of the same webhook posted. */
export function statusComment(api: nock.Scope, issue: number, id = 555): string[] {
  api.get(`${REPO}/issues/${issue}/comments`).query(true).reply(200, []);
  return postedComments(api, issue, id);
}

export function pullRequest(
  api: nock.Scope,
  number: number,
  options: { headRepo?: string; state?: "open" | "closed"; merged?: boolean; headRef?: string } = {},
) {
  return api.get(`${REPO}/pulls/${number}`).reply(200, {
    number,
    state: options.state ?? "open",
    merged_at: options.merged ? "2024-01-02T00:00:00Z" : null,
    title: "Validate the signup form",
    body: "Adds validation.",
    html_url: `https://github.com/octo/hello/pull/${number}`,
    user: { login: "taskbox[bot]", type: "Bot" },
    head: {
      ref: options.headRef ?? "taskbox/1-abcdef12",
      sha: "a".repeat(40),
      repo: { full_name: options.headRepo ?? "octo/hello" },
    },
    base: { ref: "main", sha: "b".repeat(40), repo: { full_name: "octo/hello" } },
  });
}

/** A finished (or unfinished) task already on the board, as an earlier webhook would have left it. */
export function earlierTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId: "aaaaaaaaaaaa",
    repository: "octo/hello",
    thread: { kind: "issue", number: 1 },
    trigger: "comment",
    request: "add input validation",
    requestedBy: "maintainer",
    state: "succeeded",
    createdAt: Date.parse("2024-03-01T10:00:00Z"),
    startedAt: Date.parse("2024-03-01T10:00:01Z"),
    finishedAt: Date.parse("2024-03-01T10:02:01Z"),
    statusCommentId: 900,
    statusCommentUrl: "https://github.com/octo/hello/issues/1#issuecomment-900",
    pullRequest: { number: 100, url: "https://github.com/octo/hello/pull/100" },
    ...overrides,
  };
}

/** Puts a task on the board the way startTask does (line and history), with `state` as given. */
export async function seedTask(board: MemoryTaskBoard, record: TaskRecord): Promise<void> {
  await board.add(record);
  if (!["queued", "preparing", "running", "publishing"].includes(record.state)) {
    await board.leave({ repository: record.repository, number: record.thread.number }, record.taskId);
  }
}

export function useNock(hooks: { beforeEach(fn: () => void): void; afterEach(fn: () => void): void }) {
  hooks.beforeEach(() => nock.disableNetConnect());
  hooks.afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}
