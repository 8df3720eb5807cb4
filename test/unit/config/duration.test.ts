import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../../src/config/duration.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1h 30m 15s", 5_415_000],
    ["2m30s", 150_000],
    ["1.5s", 1_500],
    ["0.5h", 1_800_000],
    [" 45s ", 45_000],
    ["120", 120_000],
    [90, 90_000],
    [1.25, 1_250],
    [0, 0],
    ["0s", 0],
  ] as const)("parses %j as %i ms", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ["abc"],
    [""],
    ["   "],
    ["10x"],
    ["1m1h"],
    ["1h30"],
    ["10 minutes"],
    ["-5s"],
    ["1d"],
    ["10M"],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [1e300],
  ])("rejects %j with a message naming the input and the accepted forms", (input) => {
    expect(() => parseDuration(input)).toThrow(
      /invalid duration .*(expected a number of seconds or a value like "90s", "10m", "1h" or "1h30m"|too long)/,
    );
  });

  it("quotes string input in the error", () => {
    expect(() => parseDuration("ten minutes")).toThrow('invalid duration "ten minutes"');
  });

  it("round-trips every formatDuration output it is given", () => {
    for (const ms of [1_200, 185_000, 3_720_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0.0s"],
    [49, "0.0s"],
    [1_234, "1.2s"],
    [1_299, "1.2s"],
    [59_999, "59.9s"],
    [60_000, "1m 00s"],
    [185_000, "3m 05s"],
    [185_999, "3m 05s"],
    [3_599_999, "59m 59s"],
    [3_600_000, "1h 00m"],
    [3_720_000, "1h 02m"],
    [90_000_000, "25h 00m"],
    [-250, "0.0s"],
  ])("formats %i ms as %s", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY]])("throws a RangeError for %s", (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });
});
