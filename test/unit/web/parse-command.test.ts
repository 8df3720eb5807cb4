import { describe, expect, it } from "vitest";
import { mayBeCommand, parseCommand } from "../../../src/web/parse-command.js";

describe("parseCommand", () => {
  it.each([
    ["/taskbox add validation", { kind: "task", request: "add validation" }],
    ["/taskbox   add validation  ", { kind: "task", request: "add validation" }],
    ["/taskbox\tfix the bug", { kind: "task", request: "fix the bug" }],
    ["/taskbox fix it\n\nDetails:\n- keep the API", { kind: "task", request: "fix it\n\nDetails:\n- keep the API" }],
    ["/taskbox\nfix the flaky test", { kind: "task", request: "fix the flaky test" }],
    ["/taskbox\r\nfix it", { kind: "task", request: "fix it" }],
    ["/taskbox", { kind: "usage" }],
    ["/taskbox   \n  ", { kind: "usage" }],
    ["/taskboxes rock", { kind: "none" }],
    ["please /taskbox fix it", { kind: "none" }],
    [" /taskbox fix it", { kind: "none" }],
    ["> /taskbox fix it", { kind: "none" }],
    ["", { kind: "none" }],
  ])("%j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });

  it("honours another command word, matched literally", () => {
    expect(parseCommand("/bot.run go now", "/bot.run")).toEqual({ kind: "task", request: "go now" });
    expect(parseCommand("/botXrun go now", "/bot.run")).toEqual({ kind: "none" });
    expect(parseCommand("@taskbox fix the bug", "@taskbox")).toEqual({ kind: "task", request: "fix the bug" });
  });
});

describe("mayBeCommand", () => {
  it.each([
    ["/taskbox fix it", true],
    ["@taskbox fix it", true],
    ["Thanks, looks good", false],
    [" /taskbox fix it", false],
    ["", false],
  ])("%j → %s", (body, expected) => {
    expect(mayBeCommand(body)).toBe(expected);
  });
});

describe("parseCommand with subcommands", () => {
  const subcommands = ["help", "status"];
  it.each([
    ["/taskbox help", { kind: "subcommand", name: "help" }],
    ["/taskbox  STATUS \n", { kind: "subcommand", name: "status" }],
    ["/taskbox help me write docs", { kind: "task", request: "help me write docs" }],
    ["/taskbox status of the build is red, fix it", { kind: "task", request: "status of the build is red, fix it" }],
    // One word is never a task: a typo of a subcommand must not start one.
    ["/taskbox helpful", { kind: "unknown", word: "helpful" }],
    ["/taskbox Cancel", { kind: "unknown", word: "Cancel" }],
    ["/taskbox refactor!", { kind: "unknown", word: "refactor!" }],
  ])("%j", (body, expected) => {
    expect(parseCommand(body, "/taskbox", subcommands)).toEqual(expected);
  });
});
