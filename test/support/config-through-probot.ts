import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { loadRepoConfig, type ConfigResult } from "../../src/config/load-repo-config.js";
import type { ConfigDefaults } from "../../src/config/schema.js";

export const CONFIG_DEFAULTS: ConfigDefaults = { defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" };
export const API = "https://api.github.com";
/** The official example's repository, whose files the tests mock with nock. */
export const EXAMPLE_REPOSITORY = "Codertocat/Hello-World";
export const REPO_FILE = "/repos/Codertocat/Hello-World/contents/.github%2Ftaskbox.yml";
export const ORG_FILE = "/repos/Codertocat/.github/contents/.github%2Ftaskbox.yml";
export const RAW = { "content-type": "text/plain; charset=utf-8" };

// The example has no installation, which Probot needs for auth.
const payload = structuredClone(
  (examples as unknown as WebhookDefinition[])
    .find((definition) => definition.name === "issue_comment")!
    .examples.find((example) => (example as { action?: string }).action === "created")!,
) as Record<string, unknown>;
payload.installation = { id: 42 };

// Retries and throttling would turn a mocked 500 into 16 s of backoff.
const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

export type Outcome = { result: ConfigResult } | { thrown: unknown };

/** Runs loadRepoConfig inside a real Probot issue_comment handler, i.e. through context.config → octokit.config.get. */
export async function loadThroughProbot(defaults: ConfigDefaults = CONFIG_DEFAULTS): Promise<Outcome> {
  const probot = new Probot({ githubToken: "test", Octokit: TestOctokit, log: pino({ level: "silent" }) });
  let outcome: Outcome | undefined;
  await probot.load(
    (app) => {
      app.on("issue_comment.created", async (context) => {
        try {
          outcome = { result: await loadRepoConfig(context, defaults) };
        } catch (thrown) {
          outcome = { thrown };
        }
      });
    },
    { cwd: process.cwd(), addHandler: () => {} },
  );
  await probot.receive({ id: "delivery-1", name: "issue_comment", payload } as never);
  if (outcome === undefined) throw new Error("the handler did not run");
  return outcome;
}

export async function resultThroughProbot(defaults: ConfigDefaults = CONFIG_DEFAULTS): Promise<ConfigResult> {
  const outcome = await loadThroughProbot(defaults);
  if ("thrown" in outcome) throw outcome.thrown;
  return outcome.result;
}
