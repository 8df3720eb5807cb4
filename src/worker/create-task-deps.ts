import Docker from "dockerode";
import OpenAI from "openai";
import type { Logger } from "pino";
import type { Probot } from "probot";
import { loadSecretsStore } from "../config/secrets.js";
import { requireModelCredentials, type TaskboxEnv } from "../env.js";
import { createDockerSandboxFactory } from "../sandbox/docker-sandbox.js";
import { createBotAuthorLookup } from "../task/bot-author.js";
import type { TaskDeps } from "../task/run-task.js";

/** Wires the worker's real collaborators from the environment. */
export function createTaskDeps(env: TaskboxEnv, probot: Probot, log: Logger): TaskDeps {
  return {
    installation: async (installationId) => {
      const octokit = await probot.auth(installationId);
      const { token } = (await octokit.auth({ type: "installation" })) as { token: string };
      return { octokit, token };
    },
    botAuthor: createBotAuthorLookup(),
    sandboxes: createDockerSandboxFactory({ docker: new Docker(), log }),
    model: new OpenAI({ ...requireModelCredentials(env), maxRetries: 2, timeout: 300_000 }),
    loadSecrets: () => loadSecretsStore(env.TASKBOX_SECRETS_FILE),
    settings: {
      workDir: env.TASKBOX_WORK_DIR,
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
