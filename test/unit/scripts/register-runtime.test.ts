import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const SCRIPT = new URL("../../../scripts/register-runtime.mjs", import.meta.url).pathname;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "taskbox-daemon-json-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function register(file: string): Promise<unknown> {
  await run(process.execPath, [SCRIPT, file, "runsc", "/usr/bin/runsc"]);
  return JSON.parse(await readFile(file, "utf8"));
}

describe("scripts/register-runtime.mjs", () => {
  it("adds runsc in host network mode and keeps every other setting", async () => {
    const file = join(dir, "daemon.json");
    await writeFile(file, JSON.stringify({ "log-level": "warn", runtimes: { kata: { path: "/usr/bin/kata" } } }));
    expect(await register(file)).toStrictEqual({
      "log-level": "warn",
      runtimes: {
        kata: { path: "/usr/bin/kata" },
        runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=host"] },
      },
    });
  });

  it("creates the file (and its directory) when there is none, and is idempotent", async () => {
    const file = join(dir, "docker", "daemon.json");
    const expected = { runtimes: { runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=host"] } } };
    expect(await register(file)).toStrictEqual(expected);
    expect(await register(file)).toStrictEqual(expected);
  });
});
