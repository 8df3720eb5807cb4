import { readFile } from "node:fs/promises";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../../src/config/load-repo-config.js";
import type { ConfigDefaults, RepoConfig } from "../../../src/config/schema.js";

const DEFAULTS: ConfigDefaults = { defaultModel: "gpt-5.1", defaultImage: "taskbox-sandbox:latest" };

const DEFAULT_CONFIG: RepoConfig = {
  environment: {
    image: "taskbox-sandbox:latest",
    setup: undefined,
    maintenance: undefined,
    env: {},
    secrets: [],
    packages: {},
    cache: { ttlMs: 12 * 3_600_000 },
    history: "full",
    lfs: false,
    submodules: false,
  },
  agent: { runner: "builtin", model: "gpt-5.1", maxTurns: 50, maxTokens: 2_000_000, contextTokens: 200_000 },
  limits: { taskTimeoutMs: 30 * 60_000, commandTimeoutMs: 10 * 60_000 },
  internet: { setup: "on", agent: "off", allow: [], methods: ["GET", "HEAD", "OPTIONS"] },
  triggers: { command: "/taskbox", label: "taskbox" },
};

function errorOf(raw: unknown): string {
  const result = parseRepoConfig(raw, DEFAULTS);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.config)}`);
  return result.error;
}

describe("parseRepoConfig", () => {
  it.each([
    [null],
    [undefined],
    [{}],
    [{ environment: null, agent: null, limits: null }],
    [{ agent: { max_turns: null } }],
  ])("fills every default for %j", (raw) => {
    expect(parseRepoConfig(raw, DEFAULTS)).toStrictEqual({ ok: true, config: DEFAULT_CONFIG });
  });

  it("takes the model and image defaults from the server options", () => {
    const result = parseRepoConfig({}, { defaultModel: "local-llm", defaultImage: "img:7" });
    expect(result.ok && [result.config.agent.model, result.config.environment.image]).toStrictEqual([
      "local-llm",
      "img:7",
    ]);
  });

  it("reads every field of a full config file", async () => {
    const raw = load(await readFile(new URL("../../fixtures/config/full.yml", import.meta.url), "utf8"));
    expect(parseRepoConfig(raw, DEFAULTS)).toStrictEqual({
      ok: true,
      config: {
        environment: {
          image: "ghcr.io/acme/sandbox:2",
          setup: "npm ci\nnpm run build\n",
          env: { NODE_ENV: "test", RETRIES: "3", VERBOSE: "true" },
          secrets: ["NPM_TOKEN", "SENTRY_TOKEN"],
          maintenance: "npm install\n",
          packages: { node: "20", python: "3.11" },
          cache: { ttlMs: 6 * 3_600_000 },
          history: { depth: 200 },
          lfs: true,
          submodules: true,
        },
        agent: { runner: "codex", model: "gpt-5.1-mini", maxTurns: 12, maxTokens: 500_000, contextTokens: 100_000 },
        limits: { taskTimeoutMs: 90 * 60_000, commandTimeoutMs: 90_000 },
        internet: { setup: "on", agent: "off", allow: [], methods: ["GET", "HEAD", "OPTIONS"] },
        triggers: { command: "/taskbox", label: "taskbox" },
      },
    } satisfies { ok: true; config: RepoConfig });
  });

  it("names agent.runner when the operator does not allow the runner", () => {
    const result = parseRepoConfig(
      { agent: { runner: "claude-code" } },
      { ...DEFAULTS, runners: ["builtin", "codex"] },
    );
    expect(result).toStrictEqual({
      ok: false,
      error:
        "`.github/taskbox.yml` is invalid:\n- `agent.runner`: `claude-code` is not allowed on this server (TASKBOX_RUNNERS: `builtin`, `codex`)",
    });
  });

  it("rejects an unknown runner and a model outside TASKBOX_MODELS", () => {
    const result = parseRepoConfig({ agent: { runner: "aider", model: "big" } }, { ...DEFAULTS, models: ["small"] });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain("`agent.runner`: expected `builtin`, `codex`, `claude-code`");
    expect(!result.ok && result.error).toContain(
      "`agent.model`: `big` is not allowed on this server (TASKBOX_MODELS: `small`)",
    );
  });

  it("treats a blank setup script as no setup", () => {
    const result = parseRepoConfig({ environment: { setup: "  \n" } }, DEFAULTS);
    expect(result.ok && result.config.environment.setup).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it("accepts a command timeout equal to the task timeout", () => {
    const result = parseRepoConfig({ limits: { task_timeout: "5m", command_timeout: 300 } }, DEFAULTS);
    expect(result.ok && result.config.limits).toStrictEqual({ taskTimeoutMs: 300_000, commandTimeoutMs: 300_000 });
  });

  it.each([
    [{ agent: { max_turns: "ten" } }, '`agent.max_turns`: expected a positive whole number, got `"ten"`'],
    [{ agent: { max_turns: 0 } }, "`agent.max_turns`: expected a positive whole number, got `0`"],
    [{ agent: { max_turns: 2.5 } }, "`agent.max_turns`: expected a positive whole number, got `2.5`"],
    [{ agent: { max_tokens: -1 } }, "`agent.max_tokens`: expected a positive whole number, got `-1`"],
    [{ agent: { model: "" } }, '`agent.model`: expected a model name, got `""`'],
    [{ agent: { model: 5 } }, "`agent.model`: expected a model name, got `5`"],
    [
      { agent: "fast" },
      '`agent`: expected a mapping with the keys `runner`, `model`, `max_turns`, `max_tokens`, `context_tokens`, got `"fast"`',
    ],
    [
      { environment: { image: "my image" } },
      '`environment.image`: expected an image name such as `taskbox-sandbox:latest`, got `"my image"`',
    ],
    [{ environment: { setup: ["npm ci"] } }, "`environment.setup`: expected a shell script, got a list"],
    [{ environment: { env: ["A=1"] } }, "`environment.env`: expected a mapping of NAME: value, got a list"],
    [{ environment: { env: { "MY-VAR": "x" } } }, '`environment.env.MY-VAR`: `"MY-VAR"` is not a valid variable name'],
    [{ environment: { env: { "1ST": "x" } } }, '`environment.env.1ST`: `"1ST"` is not a valid variable name'],
    [
      { environment: { env: { EMPTY: null } } },
      "`environment.env.EMPTY`: expected a string, number or boolean, got nothing",
    ],
    [
      { environment: { env: { NESTED: { a: 1 } } } },
      "`environment.env.NESTED`: expected a string, number or boolean, got a mapping",
    ],
    [
      { environment: { secrets: "NPM_TOKEN" } },
      '`environment.secrets`: expected a list of secret names, got `"NPM_TOKEN"`',
    ],
    [
      { environment: { secrets: ["OK", "npm-token"] } },
      '`environment.secrets[1]`: expected a secret name (letters, digits and `_`, not starting with a digit), got `"npm-token"`',
    ],
    [{ environment: { secrets: ["A", "B", "A"] } }, "`environment.secrets[2]`: `A` is listed more than once"],
    [
      { environment: { env: { A: "1" }, secrets: ["A"] } },
      "`environment.secrets[0]`: `A` is also set in `environment.env`",
    ],
    [
      { limits: { task_timeout: "forever" } },
      '`limits.task_timeout`: expected a duration such as `90s`, `10m`, `1h30m` or a number of seconds, got `"forever"`',
    ],
    [
      { limits: { task_timeout: true } },
      "`limits.task_timeout`: expected a duration such as `90s`, `10m`, `1h30m` or a number of seconds, got `true`",
    ],
    [
      { limits: { command_timeout: "0s" } },
      '`limits.command_timeout`: expected a duration longer than zero, got `"0s"`',
    ],
    [
      { limits: { command_timeout: -5 } },
      "`limits.command_timeout`: expected a duration such as `90s`, `10m`, `1h30m` or a number of seconds, got `-5`",
    ],
    [
      { limits: { task_timeout: "20m", command_timeout: "1h" } },
      "`limits.command_timeout`: 1h 00m is longer than `limits.task_timeout` (20m 00s)",
    ],
    [
      { limits: { command_timeout: "45m" } },
      "`limits.command_timeout`: 45m 00s is longer than `limits.task_timeout` (30m 00s)",
    ],
    [
      ["environment"],
      "expected a mapping with the keys `environment`, `agent`, `limits`, `triggers`, `internet`, got a list",
    ],
    [{ enviroment: {} }, "unknown key `enviroment` (did you mean `environment`?)"],
    [{ agent: { maxTurns: 5 } }, "`agent`: unknown key `maxTurns` (did you mean `max_turns`?)"],
    [{ limits: { timeout: "5m" } }, "`limits`: unknown key `timeout`"],
    [{ agent: { "`odd`": 1 } }, "`agent`: unknown key `` `odd` ``"],
  ])("reports %j as the problem %s", (raw, message) => {
    const error = errorOf(raw);
    expect(error.split("\n")[0]).toBe("`.github/taskbox.yml` is invalid:");
    expect(error).toContain(`\n- ${message}`);
  });

  it("gives no suggestion when no key is close", () => {
    expect(errorOf({ limits: { timeout: "5m" } })).not.toContain("did you mean");
  });

  it("lists every problem on its own line", () => {
    const error = errorOf({ agent: { max_turns: "ten", max_tokens: 0 }, limits: { task_timeout: "x" }, extra: 1 });
    expect(error.split("\n")).toStrictEqual([
      "`.github/taskbox.yml` is invalid:",
      '- `agent.max_turns`: expected a positive whole number, got `"ten"`',
      "- `agent.max_tokens`: expected a positive whole number, got `0`",
      '- `limits.task_timeout`: expected a duration such as `90s`, `10m`, `1h30m` or a number of seconds, got `"x"`',
      "- unknown key `extra`",
    ]);
  });

  it("keeps @mentions in user values inside code spans", () => {
    expect(errorOf({ agent: { model: ["@acme/everyone"] } })).toContain("got a list");
    expect(errorOf({ environment: { image: "@acme/everyone x" } })).toContain('got `"@acme/everyone x"`');
  });
});
