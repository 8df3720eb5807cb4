import { describe, expect, it } from "vitest";
import { createRedactor } from "../../../src/report/redact.js";
import { isEndEvent, redactEvent, type TranscriptEvent } from "../../../src/report/transcript-events.js";

describe("redactEvent", () => {
  const redactor = createRedactor(["hunter2-secret", "ghs_token_value"]);
  const redact = (text: string) => redactor.redact(text);

  it("redacts every string of an event, nested ones included", () => {
    const event: TranscriptEvent = {
      type: "task",
      repository: "o/r",
      request: "use hunter2-secret",
      requestedBy: "me",
      trigger: "comment",
      image: "img",
      runner: "builtin",
      internet: { setup: "on", agent: "limited", allow: ["ghs_token_value.example.com"] },
    };
    const redacted = JSON.stringify(redactEvent(event, redact));
    expect(redacted).not.toContain("hunter2-secret");
    expect(redacted).not.toContain("ghs_token_value");
    expect(redacted).toContain("***.example.com");
  });

  it("keeps numbers and the event type as they are", () => {
    const event: TranscriptEvent = {
      type: "command",
      turn: 2,
      command: "echo hunter2-secret",
      output: "",
      exitCode: 3,
    };
    expect(redactEvent(event, redact)).toEqual({
      type: "command",
      turn: 2,
      command: "echo ***",
      output: "",
      exitCode: 3,
    });
  });
});

describe("isEndEvent", () => {
  it("is true for the result only", () => {
    expect(isEndEvent({ type: "result", state: "failed" })).toBe(true);
    expect(isEndEvent({ type: "phase", phase: "agent", state: "ended", ms: 1 })).toBe(false);
  });
});
