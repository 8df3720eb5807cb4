import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutRef } from "../../src/git/checkout.js";
import { runGit } from "../../src/git/run-git.js";
import { TASK_LABEL } from "../../src/sandbox/types.js";
import type { ChatRequestBody, ScriptedReply } from "../support/fake-model.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../support/taskbox-harness.js";

const SECRET = "s3cr3t-e2e-value-42";
const CONFIG = `
environment:
  setup: |
    echo "setup saw \${#API_TOKEN} secret characters"
    echo 'export FROM_SETUP=yes' >> ~/.bashrc
  env:
    GREETING: hello
  secrets: [API_TOKEN]
agent:
  max_turns: 10
`;

const NOTES_REQUEST = "write validation notes";
const NOTES_TASK: ScriptedReply[] = [
  { shell: 'echo "greeting=$GREETING setup=$FROM_SETUP secret=${API_TOKEN:-absent}"; cat README.md' },
  { shell: "printf 'Validation notes\\n' > NOTES.md && printf '\\000\\001\\377' > data.bin && git rm -q src/app.js" },
  { content: "Added NOTES.md and data.bin, removed src/app.js." },
];

/** Each task's answers by its own conversation, so no test depends on which ran before it. */
function script(request: ChatRequestBody): ScriptedReply {
  if (!JSON.stringify(request.messages).includes(NOTES_REQUEST)) return { content: "README says hello." };
  return NOTES_TASK[request.messages.filter((m) => m.role === "tool").length] ?? { content: "done" };
}

/** The tool results the notes task's model saw, in order (its last request carries the whole conversation). */
function toolResults(harness: Harness): string[] {
  const last = harness.model.requests.filter((r) => JSON.stringify(r.messages).includes(NOTES_REQUEST)).at(-1);
  return (last?.messages ?? []).filter((m) => m.role === "tool").map((m) => String(m.content));
}

describe("a /taskbox comment on an issue", () => {
  let harness: Harness;
  const docker = new Docker();

  beforeAll(async () => {
    harness = await startHarness({
      files: { "README.md": "# hello\n", "src/app.js": "console.log('hi');\n", ".github/taskbox.yml": CONFIG },
      secrets: { [`${OWNER}/${REPO}`]: { API_TOKEN: SECRET } },
      script,
    });
  });
  afterAll(async () => harness?.close());

  it("runs the agent in a sandbox and answers with a pull request", async () => {
    const status = await harness.comment({ body: `/taskbox ${NOTES_REQUEST}`, login: "maintainer", commentId: 1001 });
    expect(status).toBe(200);

    const comment = await harness.finalStatus(1);
    const pull = harness.github.pulls.find((p) => p.head.startsWith("taskbox/1-"));
    expect(pull, comment.body).toBeDefined();

    // One status comment, edited in place from Queued to the final state.
    const statusComments = harness.github.comments.filter(
      (c) => c.issueNumber === 1 && c.body.includes("taskbox:task="),
    );
    expect(statusComments).toHaveLength(1);
    expect(comment.edits[0]).toMatch(/Queued/);
    expect(comment.edits.some((body) => /Running \(turn \d\)/.test(body))).toBe(true);
    expect(comment.body).toContain(pull!.html_url);
    expect(comment.body).toContain("Added NOTES.md and data.bin");
    expect(comment.body).toMatch(/total tokens/);
    expect(harness.github.reactions).toContainEqual({ commentId: 1001, content: "eyes" });

    // The pull request and its branch.
    expect(pull!.base).toBe("main");
    expect(pull!.head).toMatch(/^taskbox\/1-[0-9a-f]{8}$/);
    expect(pull!.body).toContain("Added NOTES.md and data.bin");
    expect(pull!.body).toContain("write validation notes");
    expect(pull!.body).toContain("#1");
    expect(pull!.body).toMatch(/NOTES\.md/);
    expect((await harness.github.readFile(OWNER, REPO, pull!.head, "NOTES.md"))?.toString()).toBe("Validation notes\n");
    expect(await harness.github.readFile(OWNER, REPO, pull!.head, "data.bin")).toEqual(Buffer.from([0, 1, 255]));
    expect(await harness.github.readFile(OWNER, REPO, pull!.head, "src/app.js")).toBeUndefined();

    // One commit on top of main, by the app's bot.
    const dir = await mkdtemp(join(tmpdir(), "e2e-clone-"));
    try {
      await checkoutRef({
        dir,
        remoteUrl: `${harness.github.url}/${OWNER}/${REPO}.git`,
        token: harness.github.installationToken,
        ref: pull!.head,
      });
      await runGit(["fetch", "--deepen=1", "origin", pull!.head], {
        cwd: dir,
        token: harness.github.installationToken,
      });
      const log = (await runGit(["log", "-1", "--format=%an <%ae>|%cn|%P"], { cwd: dir })).stdout.toString().trim();
      const [author, committer, parent] = log.split("|");
      expect(author).toMatch(/^taskbox\[bot\] <\d+\+taskbox\[bot\]@users\.noreply\.github\.com>$/);
      expect(committer).toBe("taskbox[bot]");
      expect(parent).toBe(await harness.github.commitOf(OWNER, REPO, "main"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // The agent saw env and what setup put in ~/.bashrc, but no secret; the model never saw the secret or token.
    expect(toolResults(harness)[0]).toContain("greeting=hello setup=yes secret=absent");
    const everythingTheModelSaw = JSON.stringify(harness.model.requests);
    expect(everythingTheModelSaw).not.toContain(SECRET);
    expect(everythingTheModelSaw).not.toContain(harness.github.installationToken);

    // Nothing is left behind.
    const taskId = /taskbox:task=([0-9a-f]+)/.exec(comment.body)?.[1];
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
  });

  it("makes one task of a webhook delivered twice", async () => {
    const before = harness.github.comments.length;
    const { completed } = await harness.queue.getJobCounts("completed");
    const delivery = "redelivered-delivery";
    expect(await harness.comment({ body: "/taskbox what does README say?", issueNumber: 2 }, delivery)).toBe(200);
    expect(await harness.comment({ body: "/taskbox what does README say?", issueNumber: 2 }, delivery)).toBe(200);
    await harness.finalStatus(2);
    await waitFor("the queue to drain", async () => ((await harness.queue.getActiveCount()) === 0 ? true : undefined));
    expect(harness.github.comments.length - before).toBe(1);
    expect(await harness.queue.getJobCounts("completed")).toMatchObject({ completed: completed! + 1 });
  });

  it("replies to a user without write access and starts nothing", async () => {
    harness.github.permissions.set("visitor", "read");
    const requestsBefore = harness.model.requests.length;
    const { completed } = await harness.queue.getJobCounts("completed");
    expect(await harness.comment({ body: "/taskbox delete everything", login: "visitor", issueNumber: 3 })).toBe(200);
    const reply = await waitFor("the refusal", () => harness.github.comments.find((c) => c.issueNumber === 3));
    expect(reply.body).toContain("@visitor");
    expect(await harness.queue.getJobCounts("completed", "active", "waiting")).toMatchObject({
      completed,
      active: 0,
      waiting: 0,
    });
    expect(harness.model.requests.length).toBe(requestsBefore);
  });

  it("rejects a webhook with a bad signature", async () => {
    const response = await fetch(harness.webhookUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "issue_comment",
        "x-github-delivery": "forged",
        "x-hub-signature-256": "sha256=00",
      },
      body: "{}",
    });
    expect(response.status).toBe(400);
  });
});
