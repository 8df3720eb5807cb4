import { describe, expect, it } from "vitest";
import { pullRequestTitle, renderPullRequestBody } from "../../../src/report/render-pull-request.js";
import { GITHUB_BODY_LIMIT } from "../../../src/report/render-status.js";

describe("pullRequestTitle", () => {
  it("uses the first non-blank line of the request", () => {
    expect(pullRequestTitle("\n  Add a --verbose flag  \nand document it")).toBe("Add a --verbose flag");
  });

  it("cuts long lines at a word boundary with an ellipsis", () => {
    const request = `Refactor ${"the configuration loader ".repeat(10)}`;
    const title = pullRequestTitle(request);
    expect(title.length).toBeLessThanOrEqual(72);
    expect(title.length).toBeGreaterThan(50);
    expect(title.endsWith("…")).toBe(true);
    const kept = title.slice(0, -1);
    expect(request.startsWith(kept)).toBe(true);
    expect(request[kept.length]).toBe(" ");
  });

  it("cuts a single long word hard", () => {
    const title = pullRequestTitle("x".repeat(200));
    expect(title).toBe(`${"x".repeat(71)}…`);
  });

  it("is never empty", () => {
    expect(pullRequestTitle("")).toBe("Taskbox task");
    expect(pullRequestTitle(" \n\t\n")).toBe("Taskbox task");
  });
});

describe("renderPullRequestBody", () => {
  const input = {
    taskId: "t-9",
    summary: "Added `--verbose` and a test.",
    request: "please add a verbose flag\nthanks @maintainer-friend",
    requestedBy: "octocat",
    issueNumber: 17,
    diffstat: " src/cli.ts | 12 ++++++++++--\n 1 file changed, 10 insertions(+), 2 deletions(-)\n",
  };

  it("holds the summary, the quoted request, the back link, the diffstat and the task marker", () => {
    const body = renderPullRequestBody(input);
    expect(body.startsWith("<!-- taskbox:task=t-9 -->")).toBe(true);
    expect(body).toContain("> Added `--verbose` and a test.");
    expect(body).toContain("> please add a verbose flag\n> thanks @\u200bmaintainer-friend");
    expect(body).toContain("Requested in #17 by @octocat");
    expect(body).toMatch(
      /```text\n src\/cli\.ts \| 12 \+{10}--\n 1 file changed, 10 insertions\(\+\), 2 deletions\(-\)\n```/,
    );
    expect(body).not.toMatch(/\b(close[sd]?|fix(e[sd])?|resolve[sd]?) #17/i);
  });

  it("stays under GitHub's body limit with huge inputs", () => {
    const body = renderPullRequestBody({
      ...input,
      summary: "s".repeat(100_000),
      request: "r\n".repeat(50_000),
      diffstat: "`".repeat(20_000),
    });
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(body).toContain("truncated, the full text is 100000 characters long");
    expect(body).toContain("Requested in #17 by @octocat");
    expect(body).toMatch(/showing the last \d+ of 20000 characters/);
  });

  it("keeps a diffstat with backticks inside its code block", () => {
    const body = renderPullRequestBody({ ...input, diffstat: " ```weird``` | 1 +\n" });
    expect(body).toContain("````text\n ```weird``` | 1 +\n````");
  });
});
