import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { resolveSecrets } from "../config/secrets.js";
import { formatDuration } from "../config/duration.js";
import { checkoutFromMirror } from "../git/git-mirrors.js";
import { repositoryRemoteUrl } from "../git/remote-url.js";
import { createStatusCommentUpdater } from "../github/status-comment.js";
import type { TaskJobData } from "../queue/task-job.js";
import { createRedactor } from "../report/redact.js";
import type { PhaseName, TaskStatus } from "../report/task-status.js";
import { describeSandboxFailure } from "../sandbox/sandbox-failure.js";
import { beginEnvironment, prepareEnvironment } from "./prepare-environment.js";
import { runAgentPhase } from "./agent-phase.js";
import { publishPhase } from "./publish-phase.js";
import { interruptedMessage, isInterruptedByShutdown } from "./task-interrupted.js";
import { TaskFailure } from "./task-failure.js";
import { cancellationOf } from "./task-cancelled.js";
import { repositoryNotes } from "./repository-notes.js";
import { resolveCheckoutRef } from "./resolve-follow-up.js";
import type { TaskDeps, TaskEndHook, TaskScope } from "./task-scope.js";
import { NO_TRANSCRIPT, recordEnvironment, recordResult, recordTaskStart, timedPhase } from "./task-transcript.js";

function failureOf(error: unknown, phase: PhaseName, deadline: AbortSignal, timeoutMs: number): TaskFailure {
  if (deadline.aborted) {
    return new TaskFailure(phase, `the task ran out of time (limits.task_timeout: ${formatDuration(timeoutMs)})`);
  }
  if (error instanceof TaskFailure) return error;
  const sandboxFailure = describeSandboxFailure(error);
  if (sandboxFailure) return new TaskFailure(phase, sandboxFailure);
  const message = error instanceof Error ? error.message : String(error);
  const stderrTail = (error as { stderrTail?: unknown }).stderrTail;
  return new TaskFailure(phase, message, typeof stderrTail === "string" ? stderrTail : undefined);
}

/**
 * Runs one task from checkout to pull request. Every path ends with the status comment in a final state and
 * the sandbox and checkout removed; the returned status is what the comment shows.
 */
export async function runTask(
  job: TaskJobData,
  deps: TaskDeps,
  signal?: AbortSignal,
  onEnd?: TaskEndHook,
): Promise<TaskStatus> {
  const log = deps.log.child({ taskId: job.taskId, repo: `${job.owner}/${job.repo}` });
  const { octokit, mintToken } = await deps.installation(job.installationId);
  const redactor = createRedactor([]);
  const freshToken = async () => {
    const minted = await mintToken();
    redactor.add(minted);
    return minted;
  };
  const transcript = deps.transcripts?.writer(job.taskId, (text) => redactor.redact(text)) ?? NO_TRANSCRIPT;
  const status: TaskStatus = {
    taskId: job.taskId,
    state: "preparing",
    requestedBy: job.requestedBy,
    timings: {},
    startedAt: Date.now(),
    maxTurns: job.config.agent.maxTurns,
    configDocsUrl: deps.settings.configDocsUrl,
    pageUrl: deps.settings.pagesUrl && `${deps.settings.pagesUrl}/tasks/${encodeURIComponent(job.taskId)}`,
  };
  const updater = createStatusCommentUpdater(
    octokit,
    { owner: job.owner, repo: job.repo, commentId: job.statusCommentId },
    { redact: (text) => redactor.redact(text), minIntervalMs: deps.settings.statusIntervalMs, log },
  );
  updater.update(status);

  const timeoutMs = job.config.limits.taskTimeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const taskSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
  await mkdir(deps.settings.workDir, { recursive: true });
  const checkoutDir = await mkdtemp(join(deps.settings.workDir, `${job.taskId}-`));
  let phase: PhaseName = "checkout";
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // Inside the try: if GitHub cannot mint a token, the status comment still ends saying so.
    const token = await freshToken();
    const secrets = resolveSecrets(
      await deps.loadSecrets(),
      `${job.owner}/${job.repo}`,
      job.config.environment.secrets,
    );
    if (!secrets.ok) throw new TaskFailure("setup", secrets.error);
    for (const value of Object.values(secrets.values)) redactor.add(value);
    recordTaskStart(transcript, job);
    const defer = (cleanup: () => Promise<void>) => void cleanups.unshift(cleanup);
    const scope: TaskScope = {
      job,
      deps,
      octokit,
      token,
      freshToken,
      status,
      updater,
      transcript,
      redactor,
      signal: taskSignal,
      checkoutDir,
      log,
      defer,
    };

    taskSignal.throwIfAborted(); // cancelled while queued
    const notes = repositoryNotes(job.config.environment);
    if (notes.length > 0) status.notes = [...(status.notes ?? []), ...notes];
    const environment = beginEnvironment(scope, secrets.values); // overlaps the checkout
    const timed = <T>(phaseName: PhaseName, work: () => Promise<T>) => timedPhase(scope, phaseName, work);
    const { history } = job.config.environment;
    const baseSha = await timed("checkout", async () =>
      checkoutFromMirror(
        deps.settings.gitMirrors,
        {
          dir: checkoutDir,
          owner: job.owner,
          repo: job.repo,
          remoteUrl: repositoryRemoteUrl({
            owner: job.owner,
            repo: job.repo,
            gheHost: deps.settings.gheHost,
            gheProtocol: deps.settings.gheProtocol,
          }),
          token,
          ref: await resolveCheckoutRef(scope),
          depth: history === "full" ? undefined : history.depth,
        },
        log,
      ).then((checkout) => checkout.sha),
    );
    phase = "setup";
    const sandbox = await timed("setup", () => prepareEnvironment(environment)).finally(() =>
      recordEnvironment(transcript, status),
    );
    taskSignal.throwIfAborted();
    if (job.kind === "env-check") {
      status.state = "ready";
      return status;
    }

    phase = "agent";
    const patch = await timed("agent", () => runAgentPhase(scope, sandbox, baseSha));
    if (patch.length === 0) {
      status.state = "answered";
      return status;
    }
    taskSignal.throwIfAborted(); // a cancel that came in while the diff was collected still stops the push
    phase = "publish";
    await timed("publish", () => publishPhase(scope, patch));
    return status;
  } catch (error) {
    const cancelled = cancellationOf(taskSignal);
    if (cancelled) {
      log.info({ phase, by: cancelled.by }, "task cancelled");
      status.state = "cancelled";
      status.cancelledBy = cancelled.by;
      return status;
    }
    if (isInterruptedByShutdown(taskSignal)) {
      log.warn({ phase }, "task interrupted by shutdown");
      status.state = "failed";
      status.failure = { phase: "worker", message: interruptedMessage(job.config.triggers.command) };
      return status;
    }
    const failure = failureOf(error, phase, deadline, timeoutMs);
    log.warn({ phase: failure.phase, reason: redactor.redact(failure.message) }, "task failed");
    status.state = "failed";
    status.failure = { phase: failure.phase, message: failure.message, logTail: failure.logTail };
    return status;
  } finally {
    for (const cleanup of cleanups) {
      await cleanup().catch((error: unknown) => log.error({ err: error }, "task cleanup failed"));
    }
    await rm(checkoutDir, { recursive: true, force: true });
    await onEnd?.(status, { octokit, redact: (text) => redactor.redact(text) }).catch((error: unknown) =>
      log.error({ err: error }, "task end hook failed"),
    );
    status.finishedAt = Date.now();
    recordResult(transcript, status);
    await transcript.flush();
    await updater.finish(status);
  }
}
