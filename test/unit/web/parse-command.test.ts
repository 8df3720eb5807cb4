import { describe, expect, it } from "vitest";
import { parseCommand } from "../../../src/web/parse-command.js";

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
    expect(parseCommand("/bot.run go", "/bot.run")).toEqual({ kind: "task", request: "go" });
    expect(parseCommand("/botXrun go", "/bot.run")).toEqual({ kind: "none" });
  });
});

describe("parseCommand with subcommands", () => {
  const subcommands = ["help", "status"];
  it.each([
    ["/taskbox help", { kind: "subcommand", name: "help" }],
    ["/taskbox  STATUS \n", { kind: "subcommand", name: "status" }],
    ["/taskbox help me write docs", { kind: "task", request: "help me write docs" }],
    ["/taskbox helpful", { kind: "task", request: "helpful" }],
    ["/taskbox cancel", { kind: "task", request: "cancel" }],
  ])("%j", (body, expected) => {
    expect(parseCommand(body, "/taskbox", subcommands)).toEqual(expected);
  });
});
