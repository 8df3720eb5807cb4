import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express from "express";
import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { AppClients } from "../../github/repository-access.js";
import { jobIdForTask, type TaskJobData } from "../../queue/task-job.js";
import { renderAdminPage, type AdminEnvironmentRow, type AdminTaskRow } from "../../report/render-admin.js";
import { renderMessagePage } from "../../report/render-page-layout.js";
import { cancelTask } from "../cancel-task.js";
import type { WebDeps } from "../web-deps.js";
import { formBody, redirect, sendHtml, urlOf } from "./http.js";
import type { PagesAuth, Viewer } from "./pages-auth.js";

const QUEUE_BOARD_PATH = "/admin/queue";
const RECENT = 20;
const CANCEL_PATH = /^\/admin\/tasks\/([\w-]{1,100})\/cancel$/;

export interface AdminPagesDeps {
  auth: PagesAuth;
  web: Pick<WebDeps, "queue" | "board">;
  clients: AppClients;
  /** The cached environments, where this process has a worker's Docker engine. */
  environments?: () => Promise<AdminEnvironmentRow[]>;
  log: Logger;
}

/** /admin for the logins in TASKBOX_ADMINS: the tasks, the workers, the cache, a cancel button and bull-board. */
export function createAdminPages(deps: AdminPagesDeps) {
  const { auth, web, log } = deps;
  const boardAdapter = new ExpressAdapter();
  boardAdapter.setBasePath(QUEUE_BOARD_PATH);
  // Read-only: changing jobs under the task board (removing one, retrying one) would leave thread lines wrong.
  createBullBoard({ queues: [new BullMQAdapter(web.queue, { readOnlyMode: true })], serverAdapter: boardAdapter });
  const bullBoard = express().use(QUEUE_BOARD_PATH, boardAdapter.getRouter() as express.Router);

  async function rows(jobs: Job<TaskJobData>[]): Promise<AdminTaskRow[]> {
    return Promise.all(
      jobs.map(async ({ data }) => {
        const record = await web.board.get(data.taskId);
        return {
          taskId: data.taskId,
          repository: `${data.owner}/${data.repo}`,
          threadNumber: data.issue.number,
          requestedBy: data.requestedBy,
          request: data.request,
          state: record?.state ?? "unknown",
          at: record?.finishedAt ?? record?.startedAt ?? data.enqueuedAt,
        };
      }),
    );
  }

  async function overview(res: ServerResponse, viewer: Viewer): Promise<void> {
    const { queue } = web;
    const [running, queued, recent, workers, environments] = await Promise.all([
      queue.getJobs(["active"]).then(rows),
      queue.getJobs(["waiting", "delayed", "prioritized"]).then(rows),
      queue.getJobs(["completed", "failed"], 0, RECENT - 1).then(rows),
      queue.getWorkers(),
      deps.environments?.(),
    ]);
    const html = renderAdminPage({
      viewer: viewer.login,
      formToken: auth.formToken(viewer),
      running,
      queued,
      recent: recent.sort((a, b) => b.at - a.at),
      workers: workers.map((worker) => ({
        // BullMQ reports the queue's name as `name`; the worker's own name (host:pid) ends `rawname`, after ":w:".
        name: worker.rawname?.split(":w:")[1] ?? worker.name ?? "",
        address: worker.addr ?? "",
        ageSeconds: Number(worker.age ?? 0),
      })),
      environments,
      now: Date.now(),
    });
    sendHtml(res, 200, html);
  }

  /** The same cancel as `/taskbox cancel`, made as the admin; the status comment names them. */
  async function cancel(req: IncomingMessage, res: ServerResponse, viewer: Viewer, taskId: string): Promise<void> {
    const form = await formBody(req);
    const job = await web.queue.getJob(jobIdForTask(taskId));
    if (form.get("token") !== auth.formToken(viewer) || !job) {
      sendHtml(res, 400, renderMessagePage("Not cancelled", "The task is gone or the form expired.", viewer.login));
      return;
    }
    const { data } = job;
    const octokit = await deps.clients.installation(data.installationId);
    const thread = { repository: `${data.owner}/${data.repo}`, number: data.issue.number };
    await cancelTask(octokit, web, thread, taskId, viewer.login, log);
    redirect(res, "/admin");
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const { pathname } = urlOf(req);
    if (pathname !== "/admin" && !pathname.startsWith("/admin/")) return false;
    const viewer = auth.viewer(req);
    if (!viewer) {
      redirect(res, `/auth/sign-in?return=${encodeURIComponent(pathname)}`);
      return true;
    }
    if (!auth.isAdmin(viewer)) {
      sendHtml(res, 404, renderMessagePage("Not found", "There is nothing here that you can see.", viewer.login));
      return true;
    }
    const cancelMatch = CANCEL_PATH.exec(pathname);
    if (req.method === "POST" && cancelMatch) await cancel(req, res, viewer, cancelMatch[1]!);
    else if (req.method === "GET" && pathname === "/admin") await overview(res, viewer);
    else if (pathname === QUEUE_BOARD_PATH || pathname.startsWith(`${QUEUE_BOARD_PATH}/`))
      bullBoard(req as express.Request, res as express.Response);
    else sendHtml(res, 404, renderMessagePage("Not found", "There is nothing here.", viewer.login));
    return true;
  };
}
