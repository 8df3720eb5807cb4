import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRepoConfig } from "../../../src/config/load-repo-config.js";
import {
  API,
  CONFIG_DEFAULTS as DEFAULTS,
  ORG_FILE,
  RAW,
  REPO_FILE,
  loadThroughProbot,
  resultThroughProbot,
} from "../../support/config-through-probot.js";

describe("loadRepoConfig through Probot's context.config", () => {
  beforeEach(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("uses the defaults when neither the repository nor the owner's .github repository has the file", async () => {
    const api = nock(API)
      .get(REPO_FILE)
      .reply(404, { message: "Not Found" })
      .get(ORG_FILE)
      .reply(404, { message: "Not Found" });
    const result = await resultThroughProbot();
    expect(result).toStrictEqual({
      ok: true,
      config: {
        environment: {
          image: "taskbox-sandbox:latest",
          setup: undefined,
          maintenance: undefined,
          env: {},
          secrets: [],
          packages: {},
          cache: { ttlMs: 43_200_000 },
          history: "full",
          lfs: false,
          submodules: false,
        },
        agent: { runner: "builtin", model: "gpt-5.1", maxTurns: 50, maxTokens: 2_000_000, contextTokens: 200_000 },
        limits: { taskTimeoutMs: 1_800_000, commandTimeoutMs: 600_000 },
        internet: { setup: "on", agent: "off", allow: [], methods: ["GET", "HEAD", "OPTIONS"] },
        triggers: { command: "/taskbox", label: "taskbox" },
      },
    });
    expect(api.pendingMocks()).toStrictEqual([]);
  });

  it("reads the repository's file", async () => {
    nock(API).get(REPO_FILE).reply(200, "agent:\n  max_turns: 7\nlimits:\n  task_timeout: 1h\n", RAW);
    const result = await resultThroughProbot();
    expect(result.ok && [result.config.agent.maxTurns, result.config.limits.taskTimeoutMs]).toStrictEqual([
      7, 3_600_000,
    ]);
  });

  it("reports a YAML syntax error with the file, line and column", async () => {
    // Line 4: "  model: gpt: 5" — the second ": " makes "gpt" (column 10) an illegal nested mapping key.
    const broken = "environment:\n  image: taskbox-sandbox:latest\nagent:\n  model: gpt: 5\n  max_turns: 3\n";
    nock(API).get(REPO_FILE).reply(200, broken, RAW);
    const result = await resultThroughProbot();
    expect(result).toStrictEqual({
      ok: false,
      error:
        "`.github/taskbox.yml` of `Codertocat/Hello-World` is not valid YAML: line 4, column 10: " +
        "Nested mappings are not allowed in compact mappings",
    });
  });

  it("reports the line and column of a duplicate key", async () => {
    nock(API).get(REPO_FILE).reply(200, "agent:\n  model: a\n  model: b\n", RAW);
    const result = await resultThroughProbot();
    expect(result.ok ? "" : result.error).toContain("is not valid YAML: line 3, column 3: Map keys must be unique");
  });

  it("merges an _extends base, the repository's values winning and its lists replacing the base's", async () => {
    const api = nock(API)
      .get(REPO_FILE)
      .reply(
        200,
        "_extends: .github\nenvironment:\n  env: { B: repo }\n  secrets: [NPM_TOKEN]\nagent:\n  max_turns: 9\n",
        RAW,
      )
      .get(ORG_FILE)
      .reply(
        200,
        "environment:\n  image: org/sandbox:3\n  env: { A: base, B: base }\n  secrets: [NPM_TOKEN, ORG_TOKEN]\n" +
          "agent:\n  model: org-model\n  max_turns: 20\n",
        RAW,
      );
    const result = await resultThroughProbot();
    expect(api.pendingMocks()).toStrictEqual([]);
    expect(result.ok && result.config.environment).toStrictEqual({
      image: "org/sandbox:3",
      setup: undefined,
      maintenance: undefined,
      env: { A: "base", B: "repo" },
      secrets: ["NPM_TOKEN"],
      packages: {},
      cache: { ttlMs: 43_200_000 },
      history: "full",
      lfs: false,
      submodules: false,
    });
    expect(result.ok && result.config.agent).toStrictEqual({
      runner: "builtin",
      model: "org-model",
      maxTurns: 9,
      maxTokens: 2_000_000,
      contextTokens: 200_000,
    });
  });

  it("names the _extends base when that file is broken", async () => {
    nock(API)
      .get(REPO_FILE)
      .reply(200, "_extends: .github\n", RAW)
      .get(ORG_FILE)
      .reply(200, "agent:\n\tmax_turns: 3\n", RAW);
    const result = await resultThroughProbot();
    expect(result).toStrictEqual({
      ok: false,
      error:
        "`.github/taskbox.yml` of `Codertocat/.github` is not valid YAML: line 2, column 1: Tabs are not allowed as indentation",
    });
  });

  it("reports validation problems of the merged config", async () => {
    nock(API).get(REPO_FILE).reply(200, "agent:\n  max_turns: ten\nenviroment: {}\n", RAW);
    const result = await resultThroughProbot();
    expect(result).toStrictEqual({
      ok: false,
      error: [
        "`.github/taskbox.yml` is invalid:",
        '- `agent.max_turns`: expected a positive whole number, got `"ten"`',
        "- unknown key `enviroment` (did you mean `environment`?)",
      ].join("\n"),
    });
  });

  it("reports a file that is a plain string instead of a mapping", async () => {
    nock(API).get(REPO_FILE).reply(200, "just some text\n", RAW);
    const result = await resultThroughProbot();
    expect(result).toStrictEqual({
      ok: false,
      error:
        "Could not load the Taskbox configuration: Configuration could not be parsed from " +
        "`.github/taskbox.yml` of `Codertocat/Hello-World` (YAML is not an object)",
    });
  });

  it("reports an invalid _extends value", async () => {
    nock(API).get(REPO_FILE).reply(200, "_extends: a/b/c\n", RAW);
    const result = await resultThroughProbot();
    expect(result.ok ? "" : result.error).toBe(
      'Could not load the Taskbox configuration: Invalid value "a/b/c" for _extends in `.github/taskbox.yml` of `Codertocat/Hello-World`',
    );
  });

  it("rethrows a GitHub server error instead of blaming the user's config", async () => {
    nock(API).get(REPO_FILE).reply(500, { message: "Internal Server Error" });
    const outcome = await loadThroughProbot();
    expect(outcome).toMatchObject({ thrown: { status: 500 } });
  });
});

describe("loadRepoConfig with a plain source", () => {
  it("asks for taskbox.yml and uses the defaults when it resolves null", async () => {
    const requested: string[] = [];
    const result = await loadRepoConfig(
      {
        config: async (fileName: string) => {
          requested.push(fileName);
          return null;
        },
      },
      DEFAULTS,
    );
    expect(requested).toStrictEqual(["taskbox.yml"]);
    expect(result.ok && result.config.agent.model).toBe("gpt-5.1");
  });

  it("rethrows errors that do not come from the config plugin", async () => {
    const failure = new Error("socket hang up");
    await expect(loadRepoConfig({ config: async () => Promise.reject(failure) }, DEFAULTS)).rejects.toBe(failure);
  });
});
