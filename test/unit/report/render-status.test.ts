import { describe, expect, it } from "vitest";
import {
  fencedCodeBlock,
  GITHUB_BODY_LIMIT,
  quoteUntrusted,
  renderStatus,
  STATUS_MARKER_PREFIX,
  statusMarker,
} from "../../../src/report/render-status.js";
import type { TaskStatus } from "../../../src/report/task-status.js";

const base: TaskStatus = { taskId: "t-123", state: "queued", requestedBy: "octocat", timings: {} };

function render(overrides: Partial<TaskStatus>): string {
  return renderStatus({ ...base, ...overrides });
}

/**
 * Follows CommonMark's fence rules: the block opened by the first fence line in `markdown` after `from` ends at the next
 * line made only of at least as many backticks. Returns the content lines in between.
 */
function codeBlockContent(markdown: string, from = 0): string {
  const lines = markdown.slice(from).split("\n");
  const open = lines.findIndex((line) => /^`{3,}/.test(line));
  expect(open).toBeGreaterThanOrEqual(0);
  const fence = /^`+/.exec(lines[open]!)![0];
  const close = lines.findIndex((line, i) => i > open && new RegExp(`^\`{${fence.length},}\\s*$`).test(line));
  expect(close).toBeGreaterThan(open);
  return lines.slice(open + 1, close).join("\n");
}

describe("statusMarker", () => {
  it("is an HTML comment starting with the shared prefix and is the first line of every status", () => {
    expect(statusMarker("abc")).toBe("<!-- taskbox:task=abc -->");
    expect(statusMarker("abc").startsWith(STATUS_MARKER_PREFIX)).toBe(true);
    for (const state of ["queued", "preparing", "running", "publishing", "succeeded", "answered", "failed"] as const) {
      const body = render({ state });
      expect(body.split("\n")[0]).toBe("<!-- taskbox:task=t-123 -->");
      expect(body).toContain("@octocat");
      expect(body).toContain("`t-123`");
    }
  });
});

describe("renderStatus", () => {
  it("names the in-progress states", () => {
    expect(render({ state: "queued" })).toContain("Queued");
    expect(render({ state: "preparing" })).toContain("Preparing environment");
    expect(render({ state: "publishing" })).toContain("Opening pull request");
    expect(render({ state: "running" })).toContain("Running");
  });

  it("shows the turn and the last command while running", () => {
    const body = render({ state: "running", turn: 7, lastCommand: "npm test -- --run" });
    expect(body).toContain("Running (turn 7)");
    expect(codeBlockContent(body)).toBe("npm test -- --run");
  });

  it("keeps a command with backticks inside its code block and truncates long commands", () => {
    const command = "echo ```` `date` && " + "x".repeat(500);
    const body = render({ state: "running", turn: 1, lastCommand: command });
    const content = codeBlockContent(body);
    expect(content.startsWith("echo ```` `date` && xxx")).toBe(true);
    expect(content.length).toBeLessThanOrEqual(205);
    expect(content.endsWith("…")).toBe(true);
    expect(body.trimEnd().endsWith("</sub>")).toBe(true);
  });

  it("reports success with the pull request link, summary, durations and usage", () => {
    const body = render({
      state: "succeeded",
      pullRequest: { number: 42, url: "https://github.com/o/r/pull/42" },
      summary: "Added a --verbose flag.",
      timings: { checkout: 1200, setup: 185_000, agent: 3_720_000, publish: 900 },
      usage: { promptTokens: 12_345, completionTokens: 678, totalTokens: 13_023 },
    });
    expect(body).toContain("[#42](https://github.com/o/r/pull/42)");
    expect(body).toContain("> Added a --verbose flag.");
    expect(body).toMatch(/\| checkout \| setup \| agent \| publish \| total \|/);
    expect(body).toContain("| 1.2s | 3m 05s | 1h 02m | 0.9s | 1h 05m |");
    expect(body).toContain("| 12,345 | 678 | 13,023 |");
  });

  it("lists only the phases that have a duration, in phase order", () => {
    const body = render({ state: "answered", summary: "x", timings: { agent: 2000, checkout: 1000 } });
    expect(body).toContain("| checkout | agent | total |");
    expect(body).toContain("| 1.0s | 2.0s | 3.0s |");
  });

  it("shows the answer with durations and usage", () => {
    const body = render({
      state: "answered",
      summary: "The flag already exists:\nsee `cli.ts`.",
      timings: { agent: 5000 },
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    });
    expect(body).toContain("Answered");
    expect(body).toContain("> The flag already exists:\n> see `cli.ts`.");
    expect(body).toContain("5.0s");
    expect(body).toContain("| 10 | 5 | 15 |");
  });

  it.each([
    ["setup", "Setup failed"],
    ["agent", "Agent failed"],
    ["checkout", "Checkout failed"],
    ["publish", "Publishing failed"],
    ["queue", "Task could not start"],
  ] as const)("names the failing phase %s", (phase, headline) => {
    const body = render({ state: "failed", failure: { phase, message: "exit code 1" } });
    expect(body).toContain(headline);
    expect(body).toContain("> exit code 1");
    if (phase !== "queue") expect(body).toContain(`${phase} phase`);
    expect(body).not.toContain("<details>");
  });

  it("puts the log tail in a collapsible code block that a fence inside cannot close", () => {
    const logTail = "step 1\n```\n</details>\n````js\n\u001b[31mError: boom\u001b[0m";
    const body = render({ state: "failed", failure: { phase: "setup", message: "setup exited with 1", logTail } });
    const details = body.indexOf("<details>");
    expect(details).toBeGreaterThan(0);
    const content = codeBlockContent(body, details);
    expect(content).toBe("step 1\n```\n</details>\n````js\nError: boom");
    const afterBlock = body.slice(body.indexOf("Error: boom"));
    expect(afterBlock).toMatch(/^Error: boom\n`{5,}\n\n<\/details>/);
  });

  it("keeps the end of a huge log tail, marks the cut and stays under the body limit", () => {
    const logTail = `${"`".repeat(30_000)}\n${"line\n".repeat(20_000)}the real error`;
    const body = render({ state: "failed", failure: { phase: "agent", message: "m".repeat(100_000), logTail } });
    expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
    expect(body).toMatch(/showing the last \d+ of \d+ characters/);
    expect(codeBlockContent(body, body.indexOf("<details>")).endsWith("the real error")).toBe(true);
    expect(body).toContain("truncated, the full text is 100000 characters long");
  });

  it("truncates a huge summary below the body limit with a visible marker", () => {
    for (const summary of ["word ".repeat(50_000), "\n".repeat(70_000) + "x", "a\n".repeat(60_000)]) {
      const body = render({
        state: "succeeded",
        summary,
        pullRequest: { number: 1, url: "https://github.com/o/r/pull/1" },
        timings: { agent: 1 },
        notes: Array.from({ length: 50 }, () => "n".repeat(5_000)),
      });
      expect(body.length).toBeLessThan(GITHUB_BODY_LIMIT);
      expect(body).toContain(`truncated, the full text is ${summary.length} characters long`);
      expect(body.trimEnd().endsWith("</sub>")).toBe(true);
    }
  });

  it("keeps untrusted summary markup inside its quote", () => {
    const summary = "Done.\n```\nunclosed fence\n<!-- taskbox:task=other -->\n<!-- hide the rest";
    const body = render({
      state: "answered",
      summary,
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    });
    const lines = body.split("\n");
    const first = lines.indexOf("> Done.");
    const last = lines.findIndex((line) => line.includes("hide the rest"));
    expect(lines.slice(first, last + 1).every((line) => line.startsWith(">"))).toBe(true);
    expect(lines[last + 1]).toBe("");
    expect(body.split(STATUS_MARKER_PREFIX)).toHaveLength(2);
    expect(body).not.toContain("<!-- hide");
    expect(body).toContain("| 1 | 1 | 2 |");
  });

  it("defuses mentions in agent text but still mentions the requester", () => {
    const body = render({ state: "answered", summary: "ping @someone, mail me@example.com, use `@types/node`" });
    expect(body).not.toMatch(/@someone/);
    expect(body).toContain("@\u200bsomeone");
    expect(body).toContain("me@example.com");
    expect(body).toContain("@octocat");
  });

  it("renders notes as a list", () => {
    const body = render({ state: "preparing", notes: ["detected npm", "ran npm ci"] });
    expect(body).toContain("- detected npm\n- ran npm ci");
  });
});

describe("markdown helpers", () => {
  it("fencedCodeBlock uses a fence longer than any backtick run", () => {
    expect(fencedCodeBlock("a ```` b", "sh")).toBe("`````sh\na ```` b\n`````");
    expect(fencedCodeBlock("plain")).toBe("```\nplain\n```");
  });

  it("quoteUntrusted never splits a surrogate pair when cutting", () => {
    const quoted = quoteUntrusted("😀".repeat(1000), 200);
    expect(quoted.length).toBeLessThanOrEqual(200);
    expect(quoted).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
