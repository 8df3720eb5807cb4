import { describe, expect, it } from "vitest";
import { escapeHtml, safeHref } from "../../../src/report/render-page-layout.js";
import { renderTaskPage, renderTranscriptEntry, type TaskPageFacts } from "../../../src/report/render-task-page.js";
import type { TranscriptEntry } from "../../../src/report/transcript-events.js";

const record: TaskPageFacts = {
  taskId: "abc123",
  repository: "octo/hello",
  thread: { kind: "issue", number: 4 },
  requestedBy: "octocat",
  trigger: "comment",
  state: "running",
  request: "fix <script>alert(1)</script> please",
};
const entry = (event: TranscriptEntry["event"]): TranscriptEntry => ({ id: "1-0", at: 0, event });

describe("renderTaskPage", () => {
  it("escapes everything the task's text holds", () => {
    const html = renderTaskPage({
      record,
      entries: [
        entry({
          type: "command",
          turn: 1,
          command: 'echo "<img src=x onerror=alert(1)>"',
          output: "</pre><b>x</b>",
          exitCode: 0,
        }),
      ],
      viewer: "reader",
      live: false,
    });
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("</pre><b>");
    expect(html).toContain("fix &lt;script&gt;alert(1)&lt;/script&gt; please");
  });

  it("loads the live script only while the task runs", () => {
    expect(renderTaskPage({ record, entries: [], viewer: "r", live: true })).toContain('<script src="/pages/live.js"');
    expect(renderTaskPage({ record, entries: [], viewer: "r", live: false })).not.toContain("<script");
  });

  it("tells the live script where to resume: after the last event served", () => {
    const html = renderTaskPage({
      record,
      entries: [{ ...entry({ type: "turn", turn: 1 }), id: "17-3" }],
      viewer: "r",
      live: true,
    });
    expect(html).toContain('data-after="17-3"');
  });
});

describe("renderTranscriptEntry", () => {
  it("links only http(s) pull request URLs", () => {
    const html = renderTranscriptEntry(
      entry({ type: "result", state: "succeeded", pullRequest: { number: 3, url: "javascript:alert(1)" } }),
    );
    expect(html).toContain('href="#"');
    expect(safeHref("https://github.com/o/r/pull/3")).toBe("https://github.com/o/r/pull/3");
  });

  it("shows a truncated transcript as truncated", () => {
    expect(renderTranscriptEntry(entry({ type: "truncated", limitBytes: 2048 }))).toContain("Transcript truncated");
  });

  it("names the turn out of the maximum, and a failure's phase", () => {
    expect(renderTranscriptEntry(entry({ type: "turn", turn: 2, maxTurns: 9 }))).toContain("Turn 2 of 9");
    const failed = renderTranscriptEntry(
      entry({ type: "result", state: "failed", failure: { phase: "setup", message: "exit 1" } }),
    );
    expect(failed).toContain("Failed in the setup phase");
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that matter in text and attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});
