import { describe, expect, it } from "vitest";
import {
  renderConfigError,
  renderHelp,
  renderPermissionRefusal,
  renderUsage,
} from "../../../src/report/render-replies.js";

describe("replies", () => {
  it("refuses with the user's permission", () => {
    expect(renderPermissionRefusal({ login: "mallory", permission: "read" })).toBe(
      "@mallory, only collaborators with write, maintain or admin permission can run Taskbox tasks (you have read).",
    );
  });

  it("reports an invalid configuration with the error and where to read about it", () => {
    const body = renderConfigError({ error: "- `timeout`: expected a duration\n```unclosed" });
    expect(body).toContain("Taskbox could not start: the configuration is invalid");
    expect(body).toContain("> - `timeout`: expected a duration\n> ```unclosed");
    expect(body).toContain("docs/configuration.md");
    expect(body.trimEnd().split("\n").at(-1)).not.toMatch(/^>/);
  });

  it("explains the command", () => {
    expect(renderUsage("/taskbox")).toContain("`/taskbox <what to do>`");
    expect(renderUsage("/bot")).toContain("`/bot <what to do>`");
  });
});

describe("renderHelp", () => {
  it("lists the task command and every subcommand", () => {
    const help = renderHelp("/taskbox", ["help", "status"]);
    expect(help).toContain("`/taskbox <what to do>`");
    expect(help).toContain("`/taskbox help`: this help");
    expect(help).toContain("`/taskbox status`");
    expect(help).toContain("taskbox.yml");
  });
});
