import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OWNER, REPO, startHarness, waitFor, type Harness } from "../../support/taskbox-harness.js";
import { headCommit, promptOf, scriptByTask, taskIdOf, toolResultsOf, type TaskScript } from "./lifecycle-helpers.js";

const CONFIG = "agent:\n  max_turns: 6\n";

describe("follow-ups on a pull request", () => {
  let harness: Harness;
  const scripts: Array<[string, TaskScript]> = [];

  beforeAll(async () => {
    harness = await startHarness({
      files: { "README.md": "# hello\n", ".github/taskbox.yml": CONFIG },
      script: (request) => scriptByTask(scripts)(request),
    });
  });
  afterAll(async () => harness?.close());

  /** The final status of the first task whose status comment came after the first `before` comments. */
  async function newFinalStatus(before: number) {
    const comment = await waitFor(
      "a new status comment",
      () => harness.github.comments.slice(before).find((c) => c.body.includes("taskbox:task=")),
      30_000,
    );
    return harness.finalStatusOf(taskIdOf(comment.body), 60_000);
  }

  /** The pull request the first task opened, shared by the tests below, which run in order. */
  let pull: { number: number; head: string; html_url: string };
  let firstHead: string;

  it("a /taskbox comment on the PR pushes one new commit onto its branch, whose parent is the previous head", async () => {
    scripts.push(
      [
        "add a greeting file",
        (turn) =>
          turn === 0 ? { shell: "echo hello > greeting.txt" } : { content: "Added greeting.txt with a greeting." },
      ],
      [
        "also add a farewell file",
        (turn) =>
          turn === 0
            ? { shell: "cat greeting.txt && echo bye > farewell.txt" }
            : { content: "Added farewell.txt next to greeting.txt." },
      ],
    );
    expect(await harness.comment({ body: "/taskbox add a greeting file", issueNumber: 1 })).toBe(200);
    await harness.finalStatus(1);
    expect(harness.github.pulls).toHaveLength(1);
    pull = harness.github.pulls[0]!;
    firstHead = (await harness.github.commitOf(OWNER, REPO, pull.head))!;

    const status = await harness.comment({
      body: "/taskbox also add a farewell file",
      issueNumber: pull.number,
      onPullRequest: true,
      issueAuthor: "taskbox[bot]",
    });
    expect(status).toBe(200);
    const comment = await harness.finalStatus(pull.number);

    expect(comment.body).toContain(`Pushed to #${pull.number}`);
    expect(harness.github.pulls).toHaveLength(1); // no new pull request
    const head = await headCommit(harness, pull.head);
    expect(head.parents).toEqual([firstHead]);
    expect(head.subject).toBe("also add a farewell file");
    expect(head.author).toBe("taskbox[bot]");
    expect(comment.body).toContain(head.sha.slice(0, 7));
    expect((await harness.github.readFile(OWNER, REPO, pull.head, "farewell.txt"))?.toString()).toBe("bye\n");
    expect((await harness.github.readFile(OWNER, REPO, pull.head, "greeting.txt"))?.toString()).toBe("hello\n");

    // The agent worked on the PR's head, and was told about the PR, the earlier task and the diff.
    expect(toolResultsOf(harness, "also add a farewell file")[0]).toContain("hello");
    const prompt = promptOf(harness, "also add a farewell file");
    expect(prompt).toContain(`## Pull request #${pull.number}: add a greeting file`);
    expect(prompt).toContain(`Branch \`${pull.head}\` into \`main\``);
    expect(prompt).toContain("## Earlier Taskbox tasks on this pull request");
    expect(prompt).toContain("Added greeting.txt with a greeting.");
    expect(prompt).toMatch(/```diff\n[\s\S]*\+\+\+ b\/greeting\.txt[\s\S]*\+hello/);
    expect(prompt).toMatch(/## Request from @maintainer[\s\S]*also add a farewell file/);

    // The task's record holds what the issue asks of it.
    const record = await harness.board.get(taskIdOf(comment.body));
    expect(record).toMatchObject({
      state: "succeeded",
      thread: { kind: "pull", number: pull.number },
      request: "also add a farewell file",
      requestedBy: "maintainer",
      pullRequest: { number: pull.number },
      commitSha: head.sha,
      summary: "Added farewell.txt next to greeting.txt.",
    });
    expect(record?.timings?.agent).toBeGreaterThan(0);
    expect(record!.finishedAt!).toBeGreaterThanOrEqual(record!.startedAt!);
  });

  it("applies its change on top when the branch moved while it ran", async () => {
    let humanCommit: Promise<string> | undefined;
    scripts.push([
      "write a notes file",
      (turn) => {
        if (turn > 0) return { content: "Wrote notes.txt." };
        humanCommit = harness.github.pushCommit(OWNER, REPO, pull.head, { "human.txt": "pushed by a human\n" });
        return { shell: "echo notes > notes.txt", delayMs: 300 };
      },
    ]);
    const before = harness.github.comments.length;
    await harness.comment({ body: "/taskbox write a notes file", issueNumber: pull.number, onPullRequest: true });
    const comment = await newFinalStatus(before);

    expect(comment.body).toContain(`Pushed to #${pull.number}`);
    expect(comment.body).toMatch(/moved while the task ran; the change was applied on top of its new head/);
    const head = await headCommit(harness, pull.head);
    expect(head.parents).toEqual([await humanCommit]);
    expect((await harness.github.readFile(OWNER, REPO, pull.head, "human.txt"))?.toString()).toBe(
      "pushed by a human\n",
    );
    expect((await harness.github.readFile(OWNER, REPO, pull.head, "notes.txt"))?.toString()).toBe("notes\n");
  });

  it("reports a conflict with what was pushed meanwhile clearly, and pushes nothing", async () => {
    let humanCommit: Promise<string> | undefined;
    scripts.push([
      "change the farewell",
      (turn) => {
        if (turn > 0) return { content: "Changed the farewell." };
        humanCommit = harness.github.pushCommit(OWNER, REPO, pull.head, { "farewell.txt": "goodbye from a human\n" });
        return { shell: "echo 'goodbye from the agent' > farewell.txt", delayMs: 300 };
      },
    ]);
    const before = harness.github.comments.length;
    await harness.comment({ body: "/taskbox change the farewell", issueNumber: pull.number, onPullRequest: true });
    const comment = await newFinalStatus(before);

    expect(comment.body).toContain("Publishing failed");
    expect(comment.body).toMatch(
      /moved to [0-9a-f]{7} while the task ran, and the change conflicts with it \(farewell\.txt\)/,
    );
    expect(comment.body).toContain("nothing was pushed");
    expect(await harness.github.commitOf(OWNER, REPO, pull.head)).toBe(await humanCommit);
  });
});
