import type { AllowedImages } from "../config/allowed-images.js";
import type { GitMirrorSettings } from "../git/git-mirrors.js";
import type OpenAI from "openai";
import type { Logger } from "pino";
import type { GitHubClient } from "../github/client.js";
import type { SecretsStore } from "../config/secrets.js";
import type { BotAuthorLookup } from "../github/bot-author.js";
import type { StatusUpdater } from "../github/status-updater.js";
import type { EarlierTask, TaskJobData } from "../queue/task-job.js";
import type { Redactor } from "../report/redact.js";
import type { TaskStatus } from "../report/task-status.js";
import type { TranscriptStore, TranscriptWriter } from "../report/transcript-store.js";
import type { EgressProxyFactory } from "../sandbox/egress-proxy.js";
import type { ModelGatewayFactory } from "../sandbox/model-gateway-factory.js";
import type { EnvironmentCache } from "../sandbox/environment-cache.js";
import type { SandboxFactory, SandboxLimits } from "../sandbox/types.js";

/** The pull request a follow-up adds a commit to, as the prompt and the publish phase need it. */
export interface PullTarget {
  number: number;
  url: string;
  title: string;
  body: string;
  author: string;
  /** The author has write access, or is Taskbox itself. */
  authorTrusted: boolean;
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The pull request's diff against its base, cut at a budget; empty when GitHub could not produce it. */
  diff: string;
  /** Why the diff is cut or missing, for the prompt. */
  diffNote?: string;
  earlierTasks: EarlierTask[];
}

export interface InstallationAccess {
  octokit: GitHubClient;
  /** A new installation token for git over HTTPS (tokens expire after an hour, so long tasks mint again). */
  mintToken(): Promise<string>;
}

export interface TaskSettings {
  workDir: string;
  /** What `environment.image` may name (TASKBOX_ALLOWED_IMAGES). */
  allowedImages: AllowedImages;
  /** Deleted from the sandbox after setup, before the secret scan (TASKBOX_SCRUB_FILES). */
  scrubFiles: readonly string[];
  /** The host's git cache: one mirror per repository, and the size limits. */
  gitMirrors: GitMirrorSettings;
  sandboxLimits: SandboxLimits;
  caBundlePath: string | undefined;
  statusIntervalMs: number;
  gheHost: string | undefined;
  gheProtocol: string | undefined;
  /** Where task pages live (TASKBOX_PUBLIC_URL); undefined when they are off. */
  pagesUrl?: string;
  /** TASKBOX_CONFIG_DOCS_URL: where a failure's next step links. */
  configDocsUrl?: string;
}

export interface TaskDeps {
  installation(installationId: number): Promise<InstallationAccess>;
  botAuthor: BotAuthorLookup;
  sandboxes: SandboxFactory;
  /** The egress proxies of `internet.agent: limited`. */
  egressProxies: EgressProxyFactory;
  /** The model gateways of the CLI runners (`agent.runner` other than builtin); they hold the upstream keys. */
  modelGateways: ModelGatewayFactory;
  environmentCache: EnvironmentCache;
  model: OpenAI;
  loadSecrets(): Promise<SecretsStore>;
  /** Where each task's events are kept for its page; none when absent. */
  transcripts?: TranscriptStore;
  settings: TaskSettings;
  log: Logger;
}

/** What the phases share while one task runs. */
export interface TaskScope {
  job: TaskJobData;
  deps: TaskDeps;
  octokit: GitHubClient;
  /** The token minted at the start of the task, for the checkout. */
  token: string;
  /** Mints a token now (e.g. for the push at the end of a long task); every minted token is redacted. */
  freshToken(): Promise<string>;
  status: TaskStatus;
  updater: StatusUpdater;
  /** The task's log for its page; every value passes through the redactor. */
  transcript: TranscriptWriter;
  redactor: Redactor;
  signal: AbortSignal;
  checkoutDir: string;
  /** Set by the checkout phase when the task adds a commit to an existing pull request. */
  followUp?: PullTarget;
  log: Logger;
  /** Registers cleanup that runs when the task ends, however it ends (last registered runs first). */
  defer(cleanup: () => Promise<void>): void;
}

/** Runs once the task has ended, before its status comment is finalised; its errors are logged, never thrown. */
export type TaskEndHook = (
  status: TaskStatus,
  end: { octokit: GitHubClient; redact(text: string): string },
) => Promise<void>;
