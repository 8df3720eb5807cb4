import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { dump } from "js-yaml";
import { inject } from "vitest";
import { removeSandboxResources } from "../../src/sandbox/remove-sandbox-resources.js";
import { MANAGED_LABEL, TASK_LABEL } from "../../src/sandbox/types.js";
import { QUEUE_LABEL } from "../../src/worker/reap-orphans.js";
import { isFinalStatus } from "./status-comments.js";
import { startFakeGitHub, type FakeComment, type FakeGitHub } from "./fake-github.js";
import type { FakeDelivery } from "./fake-deliveries.js";
import { startFakeModel, type FakeModel, type Script } from "./fake-model.js";
import { waitFor } from "./taskbox-harness.js";
import {
  freePort,
  startTaskboxProcess,
  taskboxEnv,
  waitForHealthy,
  WEBHOOK_SECRET,
  type TaskboxProcess,
} from "./taskbox-process.js";
import { issueCommentCreated, type IssueCommentOptions } from "./webhook-payloads.js";

export const OWNER = "octo";
export const REPO = "hello";

export interface FaultRig {
  github: FakeGitHub;
  model: FakeModel;
  queuePrefix: string;
  workDir: string;
  /** Starts `src/main.ts` in a child process with this rig's environment; web roles get a port and are awaited. */
  start(role: "web" | "worker" | "all", extra?: Record<string, string>): Promise<TaskboxProcess>;
  /** Points GitHub's webhook deliveries at a web process. */
  useWebhookPort(port: number): void;
  /** Delivers a signed issue_comment.created webhook the way GitHub does (recorded in github.webhooks.deliveries). */
  comment(options: IssueCommentOptions, guid?: string): Promise<FakeDelivery>;
  statusComments(issueNumber?: number): FakeComment[];
  finalStatus(issueNumber?: number, timeoutMs?: number): Promise<FakeComment>;
  /** What every Taskbox process of the rig printed, for a failing test's message. */
  logs(): string;
  /** Containers and networks still labelled with a task id. */
  leftovers(taskId: string, docker?: Docker): Promise<number>;
  close(): Promise<void>;
}

/**
 * What the process-level fault tests share: a fake GitHub with one repository, a scripted model, a secrets file and a
 * work directory, and Taskbox processes started from the real entry point against them. Every process it started is
 * killed on close.
 */
export async function startFaultRig(options: {
  files: Record<string, string | Buffer>;
  script: Script;
  redisUrl?: string;
  secrets?: Record<string, Record<string, string>>;
  env?: Record<string, string>;
}): Promise<FaultRig> {
  const github = await startFakeGitHub();
  await github.createRepo(OWNER, REPO, options.files);
  github.permissions.set("maintainer", "write");
  const model = await startFakeModel(options.script);
  const tempDir = await mkdtemp(join(tmpdir(), "taskbox-fault-"));
  const secretsFile = join(tempDir, "secrets.yml");
  await writeFile(secretsFile, dump(options.secrets ?? {}));
  const queuePrefix = `fault-${randomUUID().slice(0, 8)}`;
  const workDir = join(tempDir, "work");
  const processes: TaskboxProcess[] = [];

  const logs = () => processes.map((child) => `--- taskbox pid ${child.pid}\n${child.output()}`).join("\n");
  const useWebhookPort = (port: number) => {
    github.webhooks.target = { url: `http://127.0.0.1:${port}/api/github/webhooks`, secret: WEBHOOK_SECRET };
  };
  const statusComments = (issueNumber = 1) =>
    github.comments.filter((c) => c.issueNumber === issueNumber && c.body.includes("taskbox:task="));
  return {
    github,
    model,
    queuePrefix,
    workDir,
    async start(role, extra = {}) {
      const port = role === "worker" ? undefined : await freePort();
      const env = taskboxEnv({
        githubHost: github.host,
        modelUrl: model.baseUrl,
        redisUrl: options.redisUrl ?? inject("redisUrl"),
        queuePrefix,
        workDir,
        secretsFile,
        sandboxImage: inject("sandboxImage"),
        role,
        port,
        extra: { ...options.env, ...extra },
      });
      const child = await startTaskboxProcess(env);
      processes.push(child);
      if (port !== undefined) {
        await waitForHealthy(port);
        useWebhookPort(port);
      }
      if (role !== "web") await child.waitForLog(/"msg":"worker started"/);
      return child;
    },
    useWebhookPort,
    comment(commentOptions, guid) {
      const payload = issueCommentCreated({ owner: OWNER, repo: REPO, ...commentOptions });
      return github.webhooks.deliver("issue_comment", payload, { guid });
    },
    statusComments,
    async finalStatus(issueNumber = 1, timeoutMs = 120_000) {
      try {
        return await waitFor(
          "a final status comment",
          () => statusComments(issueNumber).find((c) => isFinalStatus(c.body)),
          timeoutMs,
        );
      } catch (error) {
        // The processes' logs say where the task got stuck.
        throw new Error(`${(error as Error).message}; the end of Taskbox's logs:\n${logs().slice(-8000)}`, {
          cause: error,
        });
      }
    },
    logs,
    async leftovers(taskId, docker = new Docker()) {
      const filters = { label: [`${TASK_LABEL}=${taskId}`] };
      return (
        (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length
      );
    },
    async close() {
      await Promise.all(processes.map((child) => child.kill("SIGKILL")));
      // A test that failed half-way may leave sandboxes of killed workers: they carry this rig's queue label.
      const docker = new Docker();
      const filters = { label: [`${MANAGED_LABEL}=true`, `${QUEUE_LABEL}=${queuePrefix}`] };
      await removeSandboxResources(docker, {
        containers: (await docker.listContainers({ all: true, filters })).map((c) => c.Id),
        networks: (await docker.listNetworks({ filters })).map((n) => n.Id),
      });
      // Killed workers never sweep the environments they cached; they carry this rig's namespace.
      const images = await docker.listImages({ filters: { label: [`taskbox.cache-namespace=${queuePrefix}`] } });
      await Promise.all(
        images.map((image) =>
          docker
            .getImage(image.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      await model.close();
      await github.close();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** The task id in a status comment's marker. */
export function taskIdOf(comment: FakeComment): string {
  const taskId = /taskbox:task=([0-9a-z-]+)/.exec(comment.body)?.[1];
  if (!taskId) throw new Error(`not a status comment: ${comment.body}`);
  return taskId;
}
