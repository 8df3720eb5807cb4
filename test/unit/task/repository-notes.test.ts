import { describe, expect, it } from "vitest";
import type { RepoConfig } from "../../../src/config/schema.js";
import { repositoryNotes } from "../../../src/task/repository-notes.js";

const environment: RepoConfig["environment"] = {
  image: "taskbox-sandbox:latest",
  setup: undefined,
  maintenance: undefined,
  env: {},
  secrets: [],
  packages: {},
  cache: { ttlMs: 1 },
  history: "full",
  lfs: false,
  submodules: false,
};

describe("repositoryNotes", () => {
  it("says nothing by default", () => {
    expect(repositoryNotes(environment)).toStrictEqual([]);
  });

  it("tells the maintainer which asked-for options are not acted on", () => {
    const notes = repositoryNotes({ ...environment, lfs: true, submodules: true });
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain("does not fetch Git LFS objects yet");
    expect(notes[1]).toContain("does not check submodules out yet");
  });
});
