import { parseAllowedImages } from "../config/allowed-images.js";
import { join } from "node:path";
import Docker from "dockerode";
import OpenAI from "openai";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Probot } from "probot";
import { loadSecretsStore } from "../config/secrets.js";
import { modelUpstreams, requireModelCredentials, taskPagesUrl, type TaskboxEnv } from "../env.js";
import { createTranscriptStore } from "../report/transcript-store.js";
import { createCacheStore } from "../queue/cache-store.js";
import { DiskCap } from "../sandbox/disk-cap.js";
import { createDockerSandboxFactory } from "../sandbox/docker-sandbox.js";
import { createDockerEgressProxyFactory } from "../sandbox/egress-proxy.js";
import { createDockerModelGatewayFactory } from "../sandbox/model-gateway-factory.js";
import { createEnvironmentCache } from "../sandbox/environment-cache.js";
import { createBotAuthorLookup } from "../github/bot-author.js";
import type { TaskDeps } from "../task/task-scope.js";
import { QUEUE_LABEL } from "./reap-orphans.js";

/** Wires the worker's real collaborators from the environment. */
export function createTaskDeps(env: TaskboxEnv, probot: Probot, log: Logger, redis: Redis): TaskDeps {
  return {
    installation: async (installationId) => {
      const octokit = await probot.auth(installationId);
      // Minted through the app's REST client: octokit.auth({ type: "installation" }) ignores GHE_HOST in Probot 14
      // (its auth strategy's request has no baseUrl), while the client's own requests honour it.
      const app = await probot.auth();
      const mintToken = async () =>
        (await app.rest.apps.createInstallationAccessToken({ installation_id: installationId })).data.token;
      return { octokit, mintToken };
    },
    botAuthor: createBotAuthorLookup(),
    sandboxes: createDockerSandboxFactory({
      docker: new Docker(),
      log,
      hardening: {
        runtime: env.TASKBOX_RUNTIME,
        diskCap:
          env.TASKBOX_SANDBOX_DISK > 0
            ? new DiskCap({
                limitBytes: env.TASKBOX_SANDBOX_DISK,
                checkIntervalMs: env.TASKBOX_DISK_CHECK_INTERVAL_MS,
                log,
              })
            : undefined,
        labels: { [QUEUE_LABEL]: env.TASKBOX_QUEUE_PREFIX },
      },
    }),
    egressProxies: createDockerEgressProxyFactory({
      docker: new Docker(),
      log,
      image: env.TASKBOX_SANDBOX_IMAGE,
      outsideNetwork: env.TASKBOX_EGRESS_NETWORK,
      allowedRanges: env.TASKBOX_EGRESS_ALLOWED_RANGES,
      connectPorts: env.TASKBOX_EGRESS_CONNECT_PORTS,
      labels: { [QUEUE_LABEL]: env.TASKBOX_QUEUE_PREFIX },
    }),
    modelGateways: createDockerModelGatewayFactory({
      docker: new Docker(),
      log,
      image: env.TASKBOX_SANDBOX_IMAGE,
      labels: { [QUEUE_LABEL]: env.TASKBOX_QUEUE_PREFIX },
      upstreams: modelUpstreams(env),
      models: env.TASKBOX_MODELS,
    }),
    environmentCache: createEnvironmentCache({
      docker: new Docker(),
      store: createCacheStore(redis, env.TASKBOX_QUEUE_PREFIX),
      maxBytes: env.TASKBOX_CACHE_MAX_BYTES,
      log,
    }),
    model: new OpenAI({ ...requireModelCredentials(env), maxRetries: 2, timeout: 300_000 }),
    loadSecrets: () => loadSecretsStore(env.TASKBOX_SECRETS_FILE),
    transcripts: createTranscriptStore({ redis, prefix: env.TASKBOX_QUEUE_PREFIX, log }),
    settings: {
      workDir: env.TASKBOX_WORK_DIR,
      allowedImages: parseAllowedImages(env.TASKBOX_ALLOWED_IMAGES, env.TASKBOX_SANDBOX_IMAGE),
      scrubFiles: env.TASKBOX_SCRUB_FILES,
      gitMirrors: {
        root: join(env.TASKBOX_WORK_DIR, "git-mirrors"),
        maxRepoBytes: env.TASKBOX_MAX_REPO_BYTES,
        maxCacheBytes: env.TASKBOX_GIT_CACHE_BYTES,
      },
      sandboxLimits: {
        memoryBytes: env.TASKBOX_SANDBOX_MEMORY,
        nanoCpus: Math.round(env.TASKBOX_SANDBOX_CPUS * 1e9),
        pidsLimit: env.TASKBOX_SANDBOX_PIDS,
      },
      caBundlePath: env.TASKBOX_CA_BUNDLE,
      statusIntervalMs: env.TASKBOX_STATUS_INTERVAL_MS,
      gheHost: env.GHE_HOST,
      gheProtocol: env.GHE_PROTOCOL,
      pagesUrl: taskPagesUrl(env),
      configDocsUrl: env.TASKBOX_CONFIG_DOCS_URL,
    },
    log,
  };
}
