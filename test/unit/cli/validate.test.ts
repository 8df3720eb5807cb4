import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateConfigFile } from "../../../src/cli/validate.js";
import { parseRepoConfig } from "../../../src/config/load-repo-config.js";
import {
  API,
  CONFIG_DEFAULTS,
  EXAMPLE_REPOSITORY,
  RAW,
  REPO_FILE,
  resultThroughProbot,
} from "../../support/config-through-probot.js";
import { load } from "js-yaml";

let dir: string;

async function configFile(text: string): Promise<string> {
  const file = join(dir, "taskbox.yml");
  await writeFile(file, text);
  return file;
}

const validate = (file: string) =>
  validateConfigFile(file, { repository: EXAMPLE_REPOSITORY, defaults: CONFIG_DEFAULTS });

describe("taskbox validate", () => {
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "taskbox-validate-"));
    nock.disableNetConnect();
  });
  afterEach(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the bot's own message for a file that is not valid YAML", async () => {
    const broken = "environment:\n  image: taskbox-sandbox:latest\nagent:\n  model: gpt: 5\n  max_turns: 3\n";
    nock(API).get(REPO_FILE).reply(200, broken, RAW);
    const bot = await resultThroughProbot();
    expect(bot.ok).toBe(false);

    const result = await validate(await configFile(broken));
    expect(result).toStrictEqual({ ok: false, lines: [bot.ok ? "" : bot.error] });
    expect(result.lines[0]).toContain("line 4, column 10");
  });

  it("gives each of the bot's problem lines with the line and column of its value", async () => {
    const text = "agent:\n  max_turns: ten\nlimits:\n  task_timeout: 5m\n  command_timeout: 10m\n";
    const bot = parseRepoConfig(load(text), CONFIG_DEFAULTS);
    if (bot.ok) throw new Error("expected the bot to refuse the file");
    const file = await configFile(text);

    const result = await validate(file);
    expect(result.ok).toBe(false);
    expect(result.lines).toStrictEqual([
      "`.github/taskbox.yml` is invalid:",
      `${file}:2:14: \`agent.max_turns\`: expected a positive whole number, got \`"ten"\``,
      `${file}:5:20: \`limits.command_timeout\`: 10m 00s is longer than \`limits.task_timeout\` (5m 00s); a single command cannot outlast its task`,
    ]);
    const botLines = bot.error.split("\n");
    expect(botLines[0]).toBe(result.lines[0]);
    expect(botLines.slice(1)).toStrictEqual(
      result.lines.slice(1).map((line) => `- ${line.slice(file.length + 1).replace(/^\d+:\d+: /, "")}`),
    );
  });

  it("accepts a valid file", async () => {
    const result = await validate(await configFile("agent:\n  max_turns: 7\n"));
    expect(result).toStrictEqual({ ok: true, lines: [expect.stringMatching(/taskbox\.yml: valid$/)] });
  });
});
