import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK_LABEL } from "../../../src/sandbox/types.js";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../../support/taskbox-harness.js";
import { headCommit, promptOf, scriptByTask, taskIdOf, toolResultsOf, type TaskScript } from "./lifecycle-helpers.js";
import { headlineOf } from "../../support/status-comments.js";

const CONFIG = "agent:\n  max_turns: 6\n";
const docker = new Docker();

async function sandboxHasFile(filters: { label: string[] }, path: string): Promise<boolean> {
  const [info] = await docker.listContainers({ filters });
  if (!info) return false;
  const exec = await docker
    .getContainer(info.Id)
    .exec({ Cmd: ["test", "-f", path], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((resolve) => {
    stream.on("end", resolve);
    stream.on("error", resolve);
    stream.resume();
  });
  return (await exec.inspect()).ExitCode === 0;
}

describe("ordering, limits and cancel", () => {
  let harness: Harness;
  const scripts: Array<[string, TaskScript]> = [];
  /** When each task's first model request arrived, by marker. */
  /** The tasks (by marker) whose first model request has arrived. */
  const started = new Set<string>();
  /** Whether a task (by marker) had finished when another task's first model request arrived: "watcher>watched". */
  const finishedWhenAsked = new Map<string, boolean>();
  const FINAL = /^\*\*Taskbox\*\* · (?:✅|💬|🛑|❌)/m;

  function isFinal(marker: string): boolean {
    return harness.github.comments.some(
      (c) => c.body.includes("taskbox:task=") && FINAL.test(c.body) && statusOf.get(c.id) === marker,
    );
  }
  /** Status comment id → the marker of its task, filled in as the tests find them. */
  const statusOf = new Map<number, string>();

  beforeAll(async () => {
    harness = await startHarness({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": CONFIG },
      // TASKBOX_REPO_CONCURRENCY is 1 by default: one task of a repository at a time.
      script: (request) => scriptByTask(scripts)(request),
    });
    await harness.github.createRepo(OWNER, "other", { "README.md": "# other\n", ".github/taskbox.yml": CONFIG });
  });
  afterAll(async () => harness?.close());

  function track(marker: string, script: TaskScript, watch: string[] = []): [string, TaskScript] {
    return [
      marker,
      (turn, request) => {
        if (!started.has(marker)) {
          started.add(marker);
          for (const watched of watch) finishedWhenAsked.set(`${marker}>${watched}`, isFinal(watched));
        }
        return script(turn, request);
      },
    ];
  }

  async function statusComment(issueNumber: number, index = 0, marker?: string) {
    const comment = await waitFor(
      `status comment ${index} on #${issueNumber}`,
      () => {
        const found = harness.github.comments.filter(
          (c) => c.issueNumber === issueNumber && c.body.includes("taskbox:task="),
        );
        return found[index];
      },
      30_000,
    );
    if (marker) statusOf.set(comment.id, marker);
    return comment;
  }

  async function finished(issueNumber: number, index: number) {
    return harness.finalStatusOf(taskIdOf((await statusComment(issueNumber, index)).body), 60_000);
  }

  it("queues a second command behind the running task of the issue, then runs it on the first one's pull request", async () => {
    scripts.push(
      track("start a changelog", (turn) =>
        turn === 0
          ? { shell: "echo '# Changelog' > CHANGELOG.md", delayMs: 1500 }
          : { content: "Started CHANGELOG.md." },
      ),
      track(
        "add an entry to the changelog",
        (turn) =>
          turn === 0
            ? { shell: "cat CHANGELOG.md && echo '- first entry' >> CHANGELOG.md" }
            : { content: "Added an entry." },
        ["start a changelog"],
      ),
    );
    await harness.comment({ body: "/taskbox start a changelog", issueNumber: 20 });
    const firstId = taskIdOf((await statusComment(20, 0, "start a changelog")).body);
    await waitFor("the first task to run", () => (started.has("start a changelog") ? true : undefined), 30_000);
    await harness.comment({ body: "/taskbox add an entry to the changelog", issueNumber: 20 });

    const second = await statusComment(20, 1, "add an entry to the changelog");
    expect(second.edits[0]).toMatch(
      new RegExp(`Waits for task \`${firstId}\` on this issue to finish, then runs on its result`),
    );

    const firstFinal = await finished(20, 0);
    const secondFinal = await finished(20, 1);
    expect(headlineOf(firstFinal.body)).toBe("✅ Pull request opened");
    // The second task ran only after the first had ended, on the branch of the pull request the first one opened.
    expect(finishedWhenAsked.get("add an entry to the changelog>start a changelog")).toBe(true);
    const pull = harness.github.pulls.find((p) => p.body.includes("start a changelog"))!;
    expect(secondFinal.body).toContain(`Pushed to #${pull.number}`);
    expect(toolResultsOf(harness, "add an entry to the changelog")[0]).toContain("# Changelog");
    const head = await headCommit(harness, pull.head);
    expect(head.subject).toBe("add an entry to the changelog");
    const firstCommit = (await harness.board.get(firstId))!;
    expect(firstCommit.pullRequest?.number).toBe(pull.number);
    expect(promptOf(harness, "add an entry to the changelog")).toContain("Earlier work on this issue opened it");
    expect((await harness.github.readFile(OWNER, REPO, pull.head, "CHANGELOG.md"))?.toString()).toBe(
      "# Changelog\n- first entry\n",
    );
    expect(harness.github.pulls.filter((p) => p.body.includes("#20"))).toHaveLength(1);
  });

  it("runs one task per repository at a time, while another repository's task runs meanwhile", async () => {
    scripts.push(
      track("slow task in hello", (turn) =>
        turn === 0 ? { shell: "true", delayMs: 2500 } : { content: "Slow one done." },
      ),
      track("second task in hello", () => ({ content: "Second one done." }), ["slow task in hello"]),
      track("task in other", () => ({ content: "Other one done." }), ["slow task in hello"]),
    );
    await harness.comment({ body: "/taskbox slow task in hello", issueNumber: 30 });
    await statusComment(30, 0, "slow task in hello");
    await waitFor("the slow task to run", () => (started.has("slow task in hello") ? true : undefined), 30_000);
    await harness.comment({ body: "/taskbox second task in hello", issueNumber: 31 });
    await harness.comment({ body: "/taskbox task in other", issueNumber: 1, repo: "other" });

    expect(headlineOf((await finished(30, 0)).body)).toBe("💬 Answered");
    const second = await finished(31, 0);
    expect(second.body).toContain("Second one done.");
    expect(second.edits[0]).not.toMatch(/Waits for/); // another thread: no line to wait in, only the repository's cap
    await waitFor(
      "the other repository's task",
      () => harness.github.comments.find((c) => c.body.includes("Other one done.")),
      30_000,
    );
    // The other repository was not held up by hello's busy slot; hello's second task waited for it.
    expect(finishedWhenAsked.get("task in other>slow task in hello")).toBe(false);
    expect(finishedWhenAsked.get("second task in hello>slow task in hello")).toBe(true);
    expect(await harness.board.line({ repository: `${OWNER}/${REPO}`, number: 31 })).toEqual([]);
  });

  it("cancel kills the running sandbox, says who cancelled, and pushes nothing", async () => {
    // The command never ends by itself (the default command timeout is far beyond the test's), so only the cancel can
    // remove the sandbox.
    scripts.push(track("run for a long time", () => ({ shell: "touch started && sleep infinity" })));
    await harness.comment({ body: "/taskbox run for a long time", issueNumber: 40 });
    const taskId = taskIdOf((await statusComment(40, 0, "run for a long time")).body);
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    // Progress reaches the status comment when a command ends; the file the command creates says it has started.
    await waitFor(
      "the long command to run",
      async () => ((await sandboxHasFile(filters, "/workspace/started")) ? true : undefined),
      60_000,
    );

    const pushes = () =>
      harness.github.requests.filter((r) => r.method === "POST" && r.path.endsWith("git-receive-pack")).length;
    const pushesBefore = pushes();
    expect(await harness.comment({ body: "/taskbox cancel", issueNumber: 40, commentId: 4040 })).toBe(200);
    await waitFor(
      "the sandbox to be gone",
      async () => ((await docker.listContainers({ all: true, filters })).length === 0 ? true : undefined),
      60_000,
    );

    const final = await harness.finalStatusOf(taskId, 10_000);
    expect(final.body).toContain("Cancelled by @maintainer");
    expect(final.body).toContain("nothing was pushed");
    expect(harness.github.reactions).toContainEqual({ commentId: 4040, content: "+1" });
    expect(harness.github.pulls.filter((p) => p.body.includes("#40"))).toEqual([]);
    expect(pushes()).toBe(pushesBefore);
    expect(await harness.github.commitOf(OWNER, REPO, `taskbox/40-${taskId.slice(0, 8)}`)).toBeUndefined();
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect(await harness.board.get(taskId)).toMatchObject({ state: "cancelled", cancelledBy: "maintainer" });
  });
});
