import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterEach, describe, expect, inject, it } from "vitest";
import { SNAPSHOT_LABELS } from "../../../src/sandbox/environment-cache.js";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import type { FakeComment } from "../../support/fake-github.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../../support/taskbox-harness.js";
import { headlineOf, isFinalStatus } from "../../support/status-comments.js";

const SECRET = "cache-secret-7d1f";
const SECRET_HASH = createHash("sha256").update(SECRET).digest("hex").slice(0, 16);
const docker = new Docker();

const CONFIG = `
environment:
  setup: |
    cat /proc/sys/kernel/random/uuid > ~/setup-id
    echo run >> ~/setup-runs
    mkdir -p node_modules/dep && echo cached > node_modules/dep/index.js
    [ "$(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)" = "${SECRET_HASH}" ] && echo yes > ~/setup-saw-secret
    echo "setup done"
  maintenance: |
    echo run >> ~/maintenance-runs
    [ "$(printf %s "$API_TOKEN" | sha256sum | cut -c1-16)" = "${SECRET_HASH}" ] && echo yes > ~/maintenance-saw-secret
    echo "maintenance done"
  secrets: [API_TOKEN]
`;

/** The tool results of the conversation whose first request is the n-th (0-based) request the model got. */
function toolResultsOf(harness: Harness, taskIndex: number): string[] {
  const conversations = harness.model.requests.filter(
    (request) => request.messages.filter((m) => m.role === "tool").length === 0,
  );
  const first = conversations[taskIndex]!;
  const userPrompt = String(first.messages[1]!.content);
  const last = harness.model.requests.filter((r) => String(r.messages[1]!.content) === userPrompt).at(-1)!;
  return last.messages.filter((m) => m.role === "tool").map((m) => String(m.content));
}

function finalStatusOf(harness: Harness, issueNumber: number): Promise<FakeComment> {
  return waitFor("a final status comment", () =>
    harness.github.comments.find((c) => c.issueNumber === issueNumber && isFinalStatus(c.body)),
  );
}

async function snapshotsOf(harness: Harness): Promise<Docker.ImageInfo[]> {
  const namespace = harness.queue.opts.prefix!;
  return docker.listImages({ filters: { label: [`${SNAPSHOT_LABELS.namespace}=${namespace}`] } });
}

describe("cached environments", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("runs setup once, resumes with maintenance on the new commit exactly, and gives secrets to the scripts only", async () => {
    harness = await startHarness({
      files: {
        "README.md": "# v1\n",
        "old.txt": "old\n",
        "src/keep.js": "keep\n",
        ".gitignore": "node_modules/\n",
        ".github/taskbox.yml": CONFIG,
      },
      secrets: { [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET } },
      script: (request) => {
        const tools = request.messages.filter((m) => m.role === "tool").length;
        const second = String(request.messages[1]!.content).includes("Issue #2");
        const commands = second
          ? [
              'cat ~/setup-id; wc -l < ~/setup-runs; wc -l < ~/maintenance-runs; cat ~/setup-saw-secret ~/maintenance-saw-secret; echo "secret=${API_TOKEN:-absent}"',
              "git status --porcelain --ignored; ls -A; ls src; cat node_modules/dep/index.js; git rev-parse HEAD",
            ]
          : ["cat ~/setup-id; ls ~"];
        return tools < commands.length ? { shell: commands[tools]! } : { content: "Looked around." };
      },
    });
    expect(await harness.comment({ body: "/taskbox look around", issueNumber: 1 })).toBe(200);
    const first = await finalStatusOf(harness, 1);
    expect(headlineOf(first.body)).toBe("💬 Answered");
    expect(first.body).toContain("cache miss (no cached environment yet)");
    const [firstLook] = toolResultsOf(harness, 0);
    const setupId = /^exit code: 0\n([0-9a-f-]{36})\n/.exec(firstLook!)?.[1];
    expect(setupId, firstLook).toBeDefined();
    expect(firstLook).not.toContain("maintenance-runs"); // maintenance runs only on resume

    // Upstream moves on: old.txt is deleted, new.txt added, README changed, AGENTS.md files appear.
    const newHead = await harness.github.createRepo(OWNER, REPO, {
      "README.md": "# v2\n",
      "new.txt": "new\n",
      "src/keep.js": "keep\n",
      "src/AGENTS.md": "Run `npm test -- src` for changes here.\n",
      "AGENTS.md": "Lint with `npm run lint`.\n",
      ".gitignore": "node_modules/\n",
      ".github/taskbox.yml": CONFIG,
    });
    expect(await harness.comment({ body: "/taskbox look again", issueNumber: 2 })).toBe(200);
    const second = await finalStatusOf(harness, 2);
    expect(headlineOf(second.body)).toBe("💬 Answered");
    expect(second.body).toContain("cache hit");

    const [state, workspace] = toolResultsOf(harness, 1);
    // Same setup run (same id, one run), maintenance once, both scripts saw the secret, the agent does not.
    expect(state).toBe(`exit code: 0\n${setupId}\n1\n1\nyes\nyes\nsecret=absent\n`);
    // Exactly the new commit: nothing modified or untracked, old.txt gone; the ignored node_modules kept.
    expect(workspace).toBe(
      `exit code: 0\n!! node_modules/\n.git\n.github\n.gitignore\nAGENTS.md\nREADME.md\nnew.txt\nnode_modules\nsrc\nAGENTS.md\nkeep.js\ncached\n${newHead}\n`,
    );
    // The agent is given the AGENTS.md files, each with the part of the tree it applies to.
    const prompt = String(harness.model.requests.at(-1)!.messages[1]!.content);
    expect(prompt).toContain(
      '<agents-md path="AGENTS.md" applies-to="the whole repository">\nLint with `npm run lint`.',
    );
    expect(prompt).toContain(
      '<agents-md path="src/AGENTS.md" applies-to="src/ and everything below it">\nRun `npm test -- src`',
    );

    // The snapshot holds neither the secret nor anything that reveals it.
    const snapshots = await snapshotsOf(harness);
    expect(snapshots).toHaveLength(1);
    const inspected = await docker.getImage(snapshots[0]!.Id).inspect();
    expect(JSON.stringify(inspected)).not.toContain(SECRET);
    expect(JSON.stringify(inspected)).not.toContain(SECRET_HASH);
  });
});

describe("an environment prepared while the checkout runs", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("is removed when the checkout fails", async () => {
    harness = await startHarness({
      files: { "README.md": "# hi\n", ".github/taskbox.yml": "environment:\n  setup: sleep 2\n" },
      script: [],
    });
    // The webhook names a default branch the repository does not have: the checkout fails, the sandbox is starting.
    expect(await harness.comment({ body: "/taskbox env", issueNumber: 1, defaultBranch: "gone" })).toBe(200);
    const status = await finalStatusOf(harness, 1);
    expect(status.body).toContain("Checkout failed");
    const taskId = /taskbox:task=([0-9a-f]+)/.exec(status.body)![1]!;
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    expect(
      (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length,
    ).toBe(0);
    expect(await snapshotsOf(harness)).toHaveLength(0);
  });
});

describe("/taskbox env", () => {
  let harness: Harness | undefined;
  let secretsDir: string | undefined;
  const derivedImages: string[] = [];
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
    for (const image of derivedImages.splice(0))
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  });

  it("reports hits and misses, and any change to the cache key means a fresh setup", async () => {
    secretsDir = await mkdtemp(join(tmpdir(), "env-check-secrets-"));
    const secretsFile = join(secretsDir, "secrets.yml");
    const setSecret = (value: string) => writeFile(secretsFile, `${OWNER}/*:\n  API_TOKEN: ${value}\n`);
    await setSecret("first-secret-value");
    harness = await startHarness({
      files: { "README.md": "# hello\n" },
      secrets: { [`${OWNER}/*`]: { API_TOKEN: "first-secret-value" } },
      env: { TASKBOX_SECRETS_FILE: secretsFile },
      script: [],
    });
    const h = harness;
    let issue = 0;
    const check = async (environment: string, repo = REPO): Promise<string> => {
      await h.github.createRepo(OWNER, repo, {
        "README.md": "# hello\n",
        ".github/taskbox.yml": `environment:\n${environment}`,
      });
      issue += 1;
      expect(await h.comment({ body: "/taskbox env", issueNumber: issue, repo })).toBe(200);
      return (await finalStatusOf(h, issue)).body;
    };
    const SETUP = '  setup: |\n    echo "setup ran with node $(node -v)"\n';
    const SECRETS = "  secrets: [API_TOKEN]\n";
    const BASE = `${SETUP}${SECRETS}`;

    const unknownVersion = await check(`${BASE}  packages: { node: "16" }\n`);
    expect(unknownVersion).toContain("Setup failed");
    expect(unknownVersion).toContain("`environment.packages` asks for node 16, which the image");
    expect(unknownVersion).toContain("it offers node 18, 20, 22, 24; python 3.11");

    const first = await check(BASE);
    expect(first).toContain("✅ Environment ready");
    expect(first).toContain("cache miss (no cached environment yet)");
    expect(first).toMatch(/setup ran with node v22\./);
    expect(first).toMatch(/\| checkout \| setup \| total \|/);

    const again = await check(BASE);
    expect(again).toContain("♻️ cache hit");
    expect(again).not.toContain("setup ran");

    const MAINTENANCE = '  maintenance: echo "maintenance ran"\n';
    const changes: Array<[string, string, () => Promise<void>]> = [
      ["the setup script changed", `${SETUP}    echo more\n${SECRETS}`, async () => {}],
      ["the maintenance script changed", `${BASE}${MAINTENANCE}`, async () => {}],
      ["`environment.env` changed", `${BASE}${MAINTENANCE}  env: { MODE: a }\n`, async () => {}],
      ["the secrets changed", `${BASE}${MAINTENANCE}  env: { MODE: a }\n`, () => setSecret("rotated-secret-value")],
      [
        "`environment.packages` changed",
        `${BASE}${MAINTENANCE}  env: { MODE: a }\n  packages: { node: 20 }\n`,
        async () => {},
      ],
    ];
    for (const [reason, environment, before] of changes) {
      await before();
      const body = await check(environment);
      expect(body).toContain(`cache miss (${reason})`);
      expect(body).toContain("setup ran");
    }
    // The selected version is first on PATH for the scripts.
    expect(h.github.comments.find((c) => c.body.includes("`environment.packages` changed"))!.body).toMatch(
      /setup ran with node v20\./,
    );
    const resumed = await check(changes.at(-1)![1]);
    expect(resumed).toContain("♻️ cache hit");
    expect(resumed).toContain("maintenance ran"); // the maintenance script runs on resume, and its log is the tail
    expect(resumed).not.toContain("setup ran");
    expect(first).not.toContain("maintenance ran");

    // Another image, even a copy of the same one, is another environment.
    await setSecret("first-secret-value");
    const derived = await deriveImage(inject("sandboxImage"));
    derivedImages.push(derived);
    expect(await check(`  image: ${derived}\n${BASE}`)).toContain("cache miss (the sandbox image changed)");

    // Another repository never shares an environment.
    expect(await check(BASE, "other")).toContain("cache miss (no cached environment yet)");

    // reset-cache: the next check sets up from scratch, and the repository's old snapshots leave the disk.
    const helloSnapshots = async () =>
      (await snapshotsOf(h)).filter((image) => image.Labels[SNAPSHOT_LABELS.repository] === `${OWNER}/${REPO}`);
    expect((await helloSnapshots()).length).toBeGreaterThanOrEqual(6);
    issue += 1;
    expect(await h.comment({ body: "/taskbox reset-cache", issueNumber: issue })).toBe(200);
    await waitFor("the reset reply", () =>
      h.github.comments.find((c) => c.issueNumber === issue && c.body.includes("are dropped")),
    );
    const afterReset = await check(BASE);
    expect(afterReset).toContain("cache miss (the cache was reset with `/taskbox reset-cache`)");
    const fresh = await waitFor(
      "the old snapshots to be removed",
      async () => {
        const left = await helloSnapshots();
        return left.length === 1 ? left : undefined;
      },
      30_000,
    );
    expect(Number(fresh[0]!.Labels[SNAPSHOT_LABELS.generation])).toBeGreaterThan(0);
    expect((await snapshotsOf(h)).some((image) => image.Labels[SNAPSHOT_LABELS.repository] === `${OWNER}/other`)).toBe(
      true,
    );

    // A shorter ttl applies to environments cached before; an expired one is set up again and removed.
    const shortTtl = `${BASE}  cache: { ttl: 1s }\n`;
    const createdAt = Number(fresh[0]!.Labels[SNAPSHOT_LABELS.createdAt]);
    await waitFor("the cached environment to be older than 1s", () =>
      Date.now() > createdAt + 1000 ? true : undefined,
    );
    const expired = await check(shortTtl);
    expect(expired).toContain("cache miss (the cached environment expired (`environment.cache.ttl`: 1.0s))");
    expect(expired).toContain("setup ran");
    expect(
      await docker
        .getImage(fresh[0]!.Id)
        .inspect()
        .catch(() => "gone"),
    ).toBe("gone");
  });
});

/** A copy of the image with one more label: same content, another image id. */
async function deriveImage(image: string): Promise<string> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["true"],
    Labels: { "taskbox.test": "true" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    const tag = `derived-${Math.random().toString(36).slice(2, 10)}`;
    await container.commit({ repo: "taskbox-test", tag, changes: ["LABEL taskbox.test=true"] });
    return `taskbox-test:${tag}`;
  } finally {
    await container.remove({ force: true });
  }
}
