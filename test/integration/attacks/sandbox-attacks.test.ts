import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { ScriptedReply } from "../../support/fake-model.js";
import { scenarioScript, toolResultsOf } from "../../support/scenario-script.js";
import { OWNER, startHarness, type Harness } from "../../support/taskbox-harness.js";

// Attacks on the sandbox side of the trust boundary, each through the whole app: a signed webhook, the queue, the
// worker and real Docker. Each test names the hole of issue 11 it closes.

const docker = new Docker();
const NPM_TOKEN = "npm_leakyTokenValue_9f3a";
const PASSWORD = "pa!@ss-w0rd_e1f7";
const PEM = [
  "-----BEGIN PRIVATE KEY-----",
  "MIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAq7BFUpkGp3+LQmlQ",
  "Yx2eqXDmGHbWnqkP0a3FzmF3wBaQ1m0sRdcUcEZcWfOoJ8dF9zYQDyZ1mP0L3k2x",
  "-----END PRIVATE KEY-----",
].join("\n");
const HOST_SECRET = `host-secret-${randomUUID()}`;

/** A tool that records which user ran it (in /tmp, which both users can write) and then does its job. */
const plant = (tool: string) =>
  `printf '#!/bin/sh\\n/usr/bin/touch /tmp/ran-as-$(/usr/bin/id -u)-${tool}\\nexec /usr/bin/${tool} "$@"\\n' > /opt/taskbox/node/22/bin/${tool}; chmod +x /opt/taskbox/node/22/bin/${tool}`;
const PLANTED_TOOLS = ["cat", "timeout", "git", "tar", "sh", "bash", "rm"];

const scenarios = new Map<string, ScriptedReply[]>([
  ["planted", [{ shell: "ls /tmp | grep ran-as-0 || echo no-root-ran-a-planted-tool" }, { content: "Checked." }]],
  ["borrowed", [{ shell: "cat ~/from-planter" }, { content: "Borrowed." }]],
  ["linked", [{ shell: "echo should-not-run" }, { content: "Linked." }]],
  ["leaky", [{ shell: "cat ~/.npmrc" }, { content: "Leaked." }]],
  [
    "scrubbed",
    [
      { shell: "test -e ~/.config/taskbox-scrubbed && echo still-there || echo scrubbed-file-gone" },
      { content: "Scrubbed." },
    ],
  ],
  [
    "pr-body",
    [{ shell: "echo change > CHANGED.md" }, { content: `Done. The key:\n${PEM}\nand the password ${PASSWORD}.` }],
  ],
]);

let harness: Harness;
let hostFile: string;

beforeAll(async () => {
  hostFile = join(tmpdir(), `taskbox-attack-${randomUUID()}.json`);
  await writeFile(hostFile, JSON.stringify({ name: HOST_SECRET, packageManager: `npm@${HOST_SECRET}` }));
  harness = await startHarness({
    files: { "README.md": "# hello\n" },
    script: scenarioScript(scenarios),
    secrets: {
      [`${OWNER}/leaky`]: { NPM_TOKEN },
      [`${OWNER}/scrubbed`]: { NPM_TOKEN },
      [`${OWNER}/pr-body`]: { PASSWORD, PEM },
    },
    env: { TASKBOX_SCRUB_FILES: "~/.config/taskbox-scrubbed" },
  });
  const repo = (name: string, config: string, options?: { symlinks?: Record<string, string> }) =>
    harness.github.createRepo(OWNER, name, { "README.md": `# ${name}\n`, ".github/taskbox.yml": config }, options);
  await repo(
    "planter",
    `environment:\n  setup: |\n${PLANTED_TOOLS.map((tool) => `    ${plant(tool)}\n`).join("")}    echo planter-was-here > ~/from-planter\n`,
  );
  await repo("linker", "limits: { task_timeout: 60s, command_timeout: 30s }\n", {
    symlinks: { "package.json": hostFile },
  });
  await repo(
    "leaky",
    "environment:\n  secrets: [NPM_TOKEN]\n  setup: |\n" +
      "    printf '//registry.npmjs.org/:_authToken=%s\\n' \"$NPM_TOKEN\" > ~/.npmrc\n" +
      '    mkdir -p ~/.cache && printf %s "$NPM_TOKEN" | base64 > ~/.cache/token.b64\n',
  );
  await repo(
    "scrubbed",
    "environment:\n  secrets: [NPM_TOKEN]\n  setup: |\n" +
      '    mkdir -p ~/.config && printf %s "$NPM_TOKEN" > ~/.config/taskbox-scrubbed\n' +
      "    printf '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\\n' > ~/.npmrc\n",
  );
  await repo("pr-body", "environment:\n  secrets: [PASSWORD, PEM]\n");
});
afterAll(async () => {
  await harness?.close();
  await rm(hostFile, { force: true });
});

async function leftovers(taskId: string): Promise<number> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  return (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length;
}

async function run(scenario: string, repo: string, issueNumber: number): Promise<string> {
  expect(await harness.comment({ body: `/taskbox run scenario:${scenario} now`, repo, issueNumber })).toBe(200);
  const status = await harness.finalStatus(issueNumber, 150_000).catch((error: unknown) => {
    throw new Error(
      `${String(error)}; comments: ${JSON.stringify(harness.github.comments.filter((c) => c.issueNumber === issueNumber))}`,
    );
  });
  const taskId = /taskbox:task=([0-9a-z-]+)/.exec(status.body)![1]!;
  expect(await leftovers(taskId)).toBe(0);
  return status.body;
}

const modelSaw = (scenario: string) => toolResultsOf(harness.model.requests, scenario).length;

describe("attacks on the sandbox", () => {
  it("10: a tool planted by setup in a PATH directory the sandbox user owns is never run by root", async () => {
    const body = await run("planted", "planter", 1);
    expect(body).toContain("Answered");
    expect(toolResultsOf(harness.model.requests, "planted")[0]).toContain("no-root-ran-a-planted-tool");
  });

  it("1: a repository cannot start from another repository's cached environment, nor from an image id prefix", async () => {
    const [planterEnvironment] = await docker.listImages({
      filters: { reference: ["taskbox-env"], label: [`taskbox.repo=${OWNER}/planter`] },
    });
    const tag = planterEnvironment?.RepoTags?.[0];
    expect(tag).toMatch(/^taskbox-env:/);
    await harness.github.createRepo(OWNER, "borrower", {
      ".github/taskbox.yml": `environment:\n  image: "${tag}"\n`,
    });
    const borrowed = await run("borrowed", "borrower", 2);
    expect(borrowed).toContain("Setup failed");
    expect(borrowed).toContain("`environment.image`");
    expect(borrowed).toContain("cached environment");

    const imageId = (await docker.getImage(inject("sandboxImage")).inspect()).Id.replace(/^sha256:/, "");
    await harness.github.createRepo(OWNER, "prefixer", {
      ".github/taskbox.yml": `environment:\n  image: "${imageId.slice(0, 12)}"\n`,
    });
    const prefixed = await run("borrowed", "prefixer", 3);
    expect(prefixed).toContain("Setup failed");
    expect(prefixed).toContain("`environment.image`");
    expect(prefixed).toContain("image id");
    expect(modelSaw("borrowed")).toBe(0);
  });

  it("5: automatic setup does not follow a package.json that links to a host file", async () => {
    const body = await run("linked", "linker", 4);
    expect(body).toContain("Setup failed");
    expect(body).toContain("`package.json` in the repository is a symbolic link");
    expect(body).not.toContain(HOST_SECRET);
    expect(modelSaw("linked")).toBe(0);
  });

  it("3: setup that leaves a secret in files (plain and base64) fails, naming the files, before any agent runs", async () => {
    const body = await run("leaky", "leaky", 5);
    expect(body).toContain("Setup failed");
    expect(body).toContain("`/home/taskbox/.npmrc`");
    expect(body).toContain("`/home/taskbox/.cache/token.b64`");
    expect(body).toContain("${NAME}");
    expect(modelSaw("leaky")).toBe(0);
  });

  it("3: files the operator lists in TASKBOX_SCRUB_FILES are deleted before the scan, and the task goes on", async () => {
    const body = await run("scrubbed", "scrubbed", 6);
    expect(body).toContain("Answered");
    expect(toolResultsOf(harness.model.requests, "scrubbed")[0]).toContain("scrubbed-file-gone");
  });

  it("3: a PEM block and a value with `!@` never reach the pull request body", async () => {
    const body = await run("pr-body", "pr-body", 7);
    expect(body).toContain("Pull request opened");
    const pull = harness.github.pulls.at(-1)!;
    for (const line of PEM.split("\n")) expect(pull.body).not.toContain(line);
    expect(pull.body).not.toContain(PASSWORD);
    expect(pull.body.replace(/\u200b/g, "")).not.toContain(PASSWORD);
  });
});
