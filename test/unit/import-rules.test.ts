import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const FIXTURES = "test/fixtures/import-rules";

/** Runs the import-rule check as `npm run lint` does, on this repository or on a fixture tree. */
async function checkImports(root?: string): Promise<{ code: number; report: string }> {
  try {
    const { stderr } = await run("node", ["scripts/check-imports.mjs", ...(root ? [root] : [])]);
    return { code: 0, report: stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, report: failed.stderr };
  }
}

describe("import rules (.dependency-cruiser.cjs)", () => {
  it("pass on src/", async () => {
    const { code, report } = await checkImports();
    expect(report).toContain("import rules: 0 violation(s)");
    expect(code).toBe(0);
  });

  it("fail on a cycle between two folders, though no module imports itself", async () => {
    const { code, report } = await checkImports(`${FIXTURES}/cycle`);
    expect(code).toBe(1);
    expect(report).toContain("error no-folder-cycle: src/a → src/b → src/a");
    expect(report).not.toContain("no-module-cycle");
  });

  it("fail on web importing sandbox, sandbox importing github, and Octokit requests outside src/github/", async () => {
    const { code, report } = await checkImports(`${FIXTURES}/forbidden`);
    expect(code).toBe(1);
    expect(report).toContain("error web-not-to-sandbox: src/web/handler.ts → src/sandbox/box.ts");
    expect(report).toContain("error sandbox-not-to-github: src/sandbox/box.ts → src/github/client.ts");
    expect(report).toMatch(/error octokit-only-in-github: src\/task\/phase\.ts → \S*@octokit\/request/);
    // A type import, to pass a client around, is allowed.
    expect(report).not.toContain("typed-client.ts");
    expect(report).toContain("import rules: 3 violation(s)");
  });
});
