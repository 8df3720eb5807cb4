import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = new URL("../../../scripts/ensure-host.sh", import.meta.url).pathname;
/** What the script itself needs before it looks for packages; everything else is "not installed". */
const TOOLS = ["bash", "node", "id", "sed", "mkdir", "dirname", "tail", "cat"];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "taskbox-ensure-host-"));
  await Promise.all(
    TOOLS.map(async (tool) => {
      const { stdout } = await run("bash", ["-c", `command -v ${tool}`]);
      await symlink(stdout.trim(), join(dir, tool));
    }),
  );
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function ensureHost(mode: string, env: Record<string, string>) {
  const result = await run("bash", [SCRIPT, mode], {
    env: { PATH: dir, HOME: dir, TASKBOX_STATE_DIR: join(dir, "state"), ...env },
  }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
  return result;
}

describe("scripts/ensure-host.sh on a machine that lacks the packages", () => {
  it("with TASKBOX_NO_INSTALL=1, prints the exact install command and exits non-zero", async () => {
    const { code, stderr } = await ensureHost("start", { TASKBOX_NO_INSTALL: "1", TASKBOX_RUNTIME: "runsc" });
    expect(code).toBe(1);
    // debootstrap lives in /usr/sbin, which the script also looks in: it is listed only where it is missing.
    expect(stderr).toMatch(
      /\n {2}apt-get update && apt-get install -y --no-install-recommends redis-server docker.io git (debootstrap )?runsc\n/,
    );
  });

  it("asks for the integration suite's packages too before the tests", async () => {
    const { code, stderr } = await ensureHost("test", { TASKBOX_NO_INSTALL: "1" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/install -y --no-install-recommends .*redis-sentinel docker-registry git-lfs .*chromium/);
  });
});
