import { describe, expect, it } from "vitest";
import {
  PACKAGE_PROFILE_PATH,
  packageProfileCommand,
  parseOfferedPackages,
  selectPackages,
} from "../../../src/sandbox/package-versions.js";

const OFFERED = { node: ["18", "20", "22"], python: ["3.11"] };

describe("selectPackages", () => {
  it("puts each requested version's bin directory first, in a stable order", () => {
    expect(selectPackages({ python: "3.11", node: "20" }, OFFERED, "img")).toStrictEqual({
      ok: true,
      binDirs: ["/opt/taskbox/node/20/bin", "/opt/taskbox/python/3.11/bin"],
    });
    expect(selectPackages({}, undefined, "img")).toStrictEqual({ ok: true, binDirs: [] });
  });

  it("refuses a version the image does not offer and lists what it offers", () => {
    const result = selectPackages({ node: "16", python: "3.1", ruby: "3.3" }, OFFERED, "taskbox-sandbox:latest");
    expect(result).toStrictEqual({
      ok: false,
      error:
        "`environment.packages` asks for node 16, python 3.1, ruby 3.3, which the image `taskbox-sandbox:latest` does not offer: " +
        'it offers node 18, 20, 22; python 3.11. Pick an offered version (quote it in YAML, e.g. `python: "3.10"`), or use an image that has it.',
    });
  });

  it("says so when the image does not describe its versions", () => {
    const result = selectPackages({ node: "20" }, undefined, "ghcr.io/acme/box:1");
    expect(result.ok === false && result.error).toContain(
      "it does not list its versions (no `taskbox.packages` label)",
    );
  });
});

describe("parseOfferedPackages", () => {
  it("reads the label and ignores what is not a list of versions", () => {
    expect(parseOfferedPackages('{"node":["20",22,"22"],"python":"3.11"}')).toStrictEqual({ node: ["20", "22"] });
    expect(parseOfferedPackages("not json")).toBeUndefined();
    expect(parseOfferedPackages("[1]")).toBeUndefined();
    expect(parseOfferedPackages(undefined)).toBeUndefined();
  });
});

describe("packageProfileCommand", () => {
  it("writes a profile script that puts the directories first on PATH", () => {
    expect(packageProfileCommand(["/opt/taskbox/node/20/bin", "/opt/taskbox/python/3.11/bin"])).toBe(
      `printf '%s\\n' '# Taskbox: environment.packages' 'export PATH="/opt/taskbox/node/20/bin:/opt/taskbox/python/3.11/bin:$PATH"' > ${PACKAGE_PROFILE_PATH}`,
    );
  });
});
