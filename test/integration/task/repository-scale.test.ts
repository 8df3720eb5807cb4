import { afterEach, describe, expect, it } from "vitest";
import { headlineOf } from "../../support/status-comments.js";
import { appendHistory } from "../../support/generate-repo.js";
import { OWNER, REPO, startHarness, type Harness } from "../../support/taskbox-harness.js";

const FILES = 2000;
const COMMITS = 1500;
const CONFIG = "environment:\n  setup: echo ready > ~/setup-ran\n";

/** What the agent's commands printed in the task started from the given issue, in order. */
function toolResults(harness: Harness, issueNumber: number): string[] {
  const requests = harness.model.requests.filter((request) =>
    String(request.messages[1]!.content).includes(`Issue #${issueNumber}`),
  );
  return requests
    .at(-1)!
    .messages.filter((message) => message.role === "tool")
    .map((message) => String(message.content));
}

describe("a repository of thousands of files and commits", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it("gives the agent the full history offline, then a later task the new commits and nothing of the first", async () => {
    const commands: Record<number, string[]> = {
      1: [
        "git rev-list --count HEAD; git remote | wc -l; git log --format=%s -1 -- src/dir3/file300.txt",
        "echo mine > leftover.txt; git blame -s -L1,1 src/dir3/file300.txt | cut -c1-7",
      ],
      2: ["git rev-list --count HEAD; git rev-parse HEAD; git status --porcelain; ls leftover.txt 2>&1; cat NEW.md"],
    };
    harness = await startHarness({
      files: { "README.md": "# big\n", ".github/taskbox.yml": CONFIG },
      script: (request) => {
        const issue = Number(/Issue #(\d+)/.exec(String(request.messages[1]!.content))?.[1]);
        const done = request.messages.filter((message) => message.role === "tool").length;
        const next = commands[issue]?.[done];
        return next === undefined ? { content: "Looked at the history." } : { shell: next };
      },
    });
    const base = (await harness.github.commitOf(OWNER, REPO, "main"))!;
    await appendHistory(harness.github.repoPath(OWNER, REPO), {
      files: FILES,
      commits: COMMITS,
      branch: "main",
      from: base,
    });

    expect(await harness.comment({ body: "/taskbox look at the history", issueNumber: 1 })).toBe(200);
    const first = await harness.finalStatus(1);
    expect(headlineOf(first.body), first.body).toMatch(/Pull request|Answered/);
    const [history, blame] = toolResults(harness, 1);
    // Every commit, no remote (so nothing to reach GitHub with), and blame works offline.
    expect(history).toBe(`exit code: 0\n${COMMITS + 1}\n0\ncommit 300\n`);
    expect(blame).toMatch(/^exit code: 0\n[0-9a-f]{7}\n$/);

    const added = await harness.github.pushCommit(OWNER, REPO, "main", { "NEW.md": "new upstream\n" });
    expect(await harness.comment({ body: "/taskbox look again", issueNumber: 2 })).toBe(200);
    const second = await harness.finalStatus(2);
    expect(headlineOf(second.body)).toBe("💬 Answered");
    expect(second.body).toContain("cache hit");
    const [state] = toolResults(harness, 2);
    expect(state).toBe(
      `exit code: 0\n${COMMITS + 2}\n${added}\nls: cannot access 'leftover.txt': No such file or directory\nnew upstream\n`,
    );
  });

  it("refuses a repository over TASKBOX_MAX_REPO_BYTES with a clear reply", async () => {
    harness = await startHarness({
      files: { "README.md": "# big\n" },
      env: { TASKBOX_MAX_REPO_BYTES: "100k" },
      script: () => ({ content: "never asked" }),
    });
    const base = (await harness.github.commitOf(OWNER, REPO, "main"))!;
    await appendHistory(harness.github.repoPath(OWNER, REPO), {
      files: FILES,
      commits: 10,
      branch: "main",
      from: base,
    });
    expect(await harness.comment({ body: "/taskbox do something", issueNumber: 1 })).toBe(200);
    const status = await harness.finalStatus(1);
    expect(status.body).toContain(
      "the repository is larger than this Taskbox allows (0.1 MiB of git data, TASKBOX_MAX_REPO_BYTES)",
    );
    expect(harness.model.requests).toHaveLength(0);
  });
});
