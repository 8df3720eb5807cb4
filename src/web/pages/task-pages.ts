import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { TaskBoard } from "../../queue/task-board.js";
import { isFinished, type TaskRecord } from "../../queue/task-record.js";
import { renderMessagePage } from "../../report/render-page-layout.js";
import { LIVE_SCRIPT_PATH, renderTaskPage, renderTranscriptEntry } from "../../report/render-task-page.js";
import { isEndEvent, type TranscriptEntry } from "../../report/transcript-events.js";
import type { TranscriptStore } from "../../report/transcript-store.js";
import { redirect, sendHtml, urlOf } from "./http.js";
import { LIVE_SCRIPT } from "./live-script.js";
import type { PagesAuth, Viewer } from "./pages-auth.js";

const FOLLOW_BLOCK_MS = 10_000;
const TASK_PATH = /^\/tasks\/([\w-]{1,100})(\/events)?$/;

export interface TaskPagesDeps {
  auth: PagesAuth;
  board: Pick<TaskBoard, "get">;
  transcripts: TranscriptStore;
  /** The connection the stream follows block on: each live page gets a duplicate of it. */
  redis: Redis;
  log: Logger;
}

/** Serves /tasks/<id> (the page) and /tasks/<id>/events (its live stream), to readers of the task's repository only. */
export function createTaskPages(deps: TaskPagesDeps) {
  const { auth } = deps;

  /** The task, when the viewer may see it; a task that does not exist and one hidden from the viewer look the same. */
  async function visibleTask(viewer: Viewer, taskId: string): Promise<TaskRecord | undefined> {
    const record = await deps.board.get(taskId);
    return record && (await auth.canRead(viewer, record.repository)) ? record : undefined;
  }

  async function page(res: ServerResponse, viewer: Viewer, taskId: string): Promise<void> {
    const record = await visibleTask(viewer, taskId);
    if (!record) {
      sendHtml(res, 404, renderMessagePage("Not found", "There is no task here that you can see.", viewer.login));
      return;
    }
    const entries = await deps.transcripts.read(taskId);
    const live = !isFinished(record) && !entries.some((entry) => isEndEvent(entry.event));
    sendHtml(res, 200, renderTaskPage({ record, entries, viewer: viewer.login, live }));
  }

  async function events(req: IncomingMessage, res: ServerResponse, viewer: Viewer, taskId: string): Promise<void> {
    const record = await visibleTask(viewer, taskId);
    if (!record) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const lastEventId = req.headers["last-event-id"];
    let after = (typeof lastEventId === "string" && lastEventId) || urlOf(req).searchParams.get("after") || "0";
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const connection = deps.redis.duplicate({ enableOfflineQueue: true, connectionName: "taskbox-page-follow" });
    let open = true;
    req.once("close", () => {
      open = false;
      connection.disconnect();
    });
    const send = (entry: TranscriptEntry) =>
      res.write(`id: ${entry.id}\nevent: entry\ndata: ${JSON.stringify({ html: renderTranscriptEntry(entry) })}\n\n`);
    const end = (state: string) => {
      res.end(`event: end\ndata: ${JSON.stringify({ state })}\n\n`);
      open = false;
    };
    try {
      while (open) {
        const entries = await deps.transcripts.follow(connection, taskId, after, FOLLOW_BLOCK_MS);
        for (const entry of entries) {
          send(entry);
          after = entry.id;
          if (isEndEvent(entry.event)) return end(entry.event.type === "result" ? entry.event.state : "ended");
        }
        if (entries.length > 0) continue;
        // A task can end without a result event (cancelled while queued, its worker gone), and access can be revoked.
        const current = await visibleTask(viewer, taskId);
        if (!current || isFinished(current)) return end(current?.state ?? "hidden");
        res.write(": still running\n\n");
      }
    } catch (err) {
      if (open) deps.log.warn({ err, taskId }, "the task page's live stream stopped");
      res.end();
    } finally {
      connection.disconnect();
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (req.method !== "GET") return false;
    const url = urlOf(req);
    if (url.pathname === LIVE_SCRIPT_PATH) {
      res
        .writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" })
        .end(LIVE_SCRIPT);
      return true;
    }
    const match = TASK_PATH.exec(url.pathname);
    if (!match) return false;
    const viewer = auth.viewer(req);
    if (!viewer) {
      if (match[2]) res.writeHead(401, { "content-type": "text/plain" }).end("sign in first");
      else redirect(res, `/auth/sign-in?return=${encodeURIComponent(url.pathname)}`);
      return true;
    }
    await (match[2] ? events(req, res, viewer, match[1]!) : page(res, viewer, match[1]!));
    return true;
  };
}
