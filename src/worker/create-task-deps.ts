import { join } from "node:path";
import Docker from "dockerode";
import OpenAI from "openai";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Probot } from "probot";
import { loadSecretsStore } from "../config/secrets.js";
import { modelUpstreams, requireModelCredentials, type TaskboxEnv } from "../env.js";
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
      allowPrivateAddresses: env.TASKBOX_EGRESS_ALLOW_PRIVATE,
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
    settings: {
      workDir: env.TASKBOX_WORK_DIR,
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
    },
    log,
  };
}
