import { describe, expect, it } from "vitest";
import { formatShellResult, keepHeadAndTail, parseShellArguments } from "../../../src/agent/shell-tool.js";

const noRedaction = (text: string): string => text;

function run(output: string, overrides: { exitCode?: number; omittedBytes?: number; timedOut?: boolean } = {}) {
  return { exitCode: 0, omittedBytes: 0, timedOut: false, ...overrides, output: Buffer.from(output) };
}

describe("formatShellResult", () => {
  it("starts with the exit code and passes short output through", () => {
    expect(formatShellResult(run("hello\n", { exitCode: 3 }), noRedaction, 100)).toBe("exit code: 3\nhello\n");
  });

  it("notes a timeout and empty output", () => {
    expect(formatShellResult(run("", { exitCode: 124, timedOut: true }), noRedaction, 100)).toBe(
      "exit code: 124 (timed out: the command ran too long and was stopped)\n(no output)",
    );
  });

  it("keeps head and tail of long output and counts the omitted bytes", () => {
    const output = `${"a".repeat(50)}${"m".repeat(1000)}${"z".repeat(50)}`;
    expect(formatShellResult(run(output), noRedaction, 100)).toBe(
      `exit code: 0\n${"a".repeat(50)}\n[... 1000 bytes omitted ...]\n${"z".repeat(50)}`,
    );
  });

  it("adds the bytes the sandbox dropped, at the sandbox's cut in the middle", () => {
    expect(formatShellResult(run("head-tail", { omittedBytes: 500 }), noRedaction, 100)).toBe(
      "exit code: 0\nhead\n[... 500 bytes omitted ...]\n-tail",
    );
    const output = `${"a".repeat(100)}${"z".repeat(100)}`;
    expect(formatShellResult(run(output, { omittedBytes: 5000 }), noRedaction, 20)).toBe(
      `exit code: 0\n${"a".repeat(10)}\n[... 5180 bytes omitted ...]\n${"z".repeat(10)}`,
    );
  });

  it("redacts before cutting, so a secret across the cut cannot leave a fragment", () => {
    const secret = "S3CR3T-VALUE-0123456789";
    const output = `${"x".repeat(40)}${secret}${"y".repeat(40)}`;
    const redact = (text: string): string => text.replaceAll(secret, "***");
    const result = formatShellResult(run(output), redact, 60);
    expect(result).not.toMatch(/S3CR|0123|6789/);
    expect(result).toContain(`${"x".repeat(30)}\n[... `);
  });

  it("never splits a surrogate pair at the cut", () => {
    const text = "😀".repeat(20);
    const kept = keepHeadAndTail({ head: text.slice(0, 20), tail: text.slice(20), gapBytes: 0 }, 11);
    expect(kept).not.toMatch(/\p{Cs}/u);
    expect(kept).toMatch(/^(😀)+\n\[\.\.\. \d+ bytes omitted \.\.\.\]\n(😀)+$/u);
    const emojiBytes = Buffer.byteLength("😀");
    const keptEmoji = [...kept.matchAll(/😀/gu)].length;
    expect(kept).toContain(`[... ${(20 - keptEmoji) * emojiBytes} bytes omitted ...]`);
  });

  it("gives the unused half of a short head to the tail", () => {
    expect(keepHeadAndTail({ head: "ab", tail: "0123456789", gapBytes: 7 }, 6)).toBe(
      "ab\n[... 13 bytes omitted ...]\n6789",
    );
  });
});

describe("parseShellArguments", () => {
  it("returns the command", () => {
    expect(parseShellArguments('{"command":"ls -la"}')).toEqual({ command: "ls -la" });
  });

  it.each([["{not json"], ['{"cmd":"ls"}'], ['{"command":""}'], ['{"command":42}'], ["null"]])(
    "rejects %s with an explanation for the model",
    (raw) => {
      const parsed = parseShellArguments(raw);
      expect(parsed).toHaveProperty("error");
      expect((parsed as { error: string }).error).toContain('{"command": "<bash command>"}');
    },
  );
});
