import { describe, expect, it } from "vitest";
import { renderStatus } from "../../../src/report/render-status.js";
import type { TaskStatus } from "../../../src/report/task-status.js";

const base: TaskStatus = { taskId: "t-1", state: "queued", requestedBy: "octocat", timings: {} };
const render = (overrides: Partial<TaskStatus>, now = 0) => renderStatus({ ...base, ...overrides }, now);
const headlineOf = (body: string) => body.split("\n")[1];

describe("the status comment's guidance", () => {
  it("shows a running task's turn out of the maximum and its elapsed time", () => {
    const body = render({ state: "running", turn: 3, maxTurns: 50, startedAt: 1_000 }, 66_000);
    expect(headlineOf(body)).toBe("**Taskbox** · 🤖 Running (turn 3 of 50 · 1m 05s)");
  });

  it("carries the duration in the headline of an ended task", () => {
    const body = render({ state: "answered", summary: "42", startedAt: 0, finishedAt: 125_000 });
    expect(headlineOf(body)).toBe("**Taskbox** · 💬 Answered in 2m 05s");
    expect(headlineOf(render({ state: "succeeded", timings: { checkout: 1000, agent: 2000 } }))).toMatch(
      / in 3(\.0)?s$/,
    );
  });

  it("says why a queued task waits", () => {
    expect(render({ queuedReason: { kind: "repository", cap: 2 } })).toContain(
      "this repository already runs 2 tasks (`TASKBOX_REPO_CONCURRENCY`: 2)",
    );
    expect(render({ queuedReason: { kind: "worker" } })).toContain("No worker has taken this task for over 1m");
  });

  it("ends a failure with the next step that fits it", () => {
    const failed = (phase: "setup" | "agent" | "publish", message: string, configDocsUrl?: string) =>
      render({ state: "failed", failure: { phase, message }, configDocsUrl });
    expect(failed("setup", "exit code 1")).toContain("comment `/taskbox env`");
    expect(failed("setup", "exit code 1", "https://docs.example/config")).toContain(
      "[configuration reference](https://docs.example/config)",
    );
    expect(failed("agent", "the agent did not finish within agent.max_turns (5)")).toMatch(
      /raise the limit.*\/taskbox retry/,
    );
    expect(failed("publish", "push rejected")).toContain("**Next step:** comment `/taskbox retry`");
  });

  it("links the task log in every state after queued, and only when pages are on", () => {
    const pageUrl = "https://taskbox.example/tasks/t-1";
    expect(render({ state: "queued", pageUrl })).not.toContain("View the task log");
    for (const state of [
      "preparing",
      "running",
      "publishing",
      "succeeded",
      "answered",
      "failed",
      "cancelled",
    ] as const) {
      expect(render({ state, pageUrl })).toContain(`[View the task log](${pageUrl})`);
    }
    expect(render({ state: "running" })).not.toContain("task log");
  });
});
