import { describe, expect, it } from "vitest";
import { TaskFailure } from "../../../src/task/task-failure.js";
import { rootExec, runScript } from "../../../src/task/environment-scripts.js";
import { fakeSandbox } from "../../support/fake-sandbox.js";

const options = {
  env: { TOKEN: "s3cret" },
  timeoutMs: 1000,
  redact: (text: string) => text.replaceAll("s3cret", "***"),
};

describe("runScript", () => {
  it("gives the env to the script's process only, returns the redacted tail, then stops what it left running", async () => {
    const sandbox = fakeSandbox((request) =>
      request.command === "make setup" ? { output: Buffer.from("using s3cret\n") } : { output: Buffer.from("0\n") },
    );
    expect(await runScript(sandbox, "the setup script", "make setup", options)).toBe("using ***");
    expect(sandbox.execs[0]).toMatchObject({ command: "make setup", env: { TOKEN: "s3cret" }, timeoutMs: 1000 });
    expect(sandbox.execs).toHaveLength(2); // the second stops stray processes
    expect(sandbox.execs[1]?.env).toBeUndefined();
  });

  it("fails the setup phase with the exit code and the redacted tail", async () => {
    const sandbox = fakeSandbox(() => ({ exitCode: 3, output: Buffer.from("s3cret leaked\n") }));
    const failure = await runScript(sandbox, "the setup script", "false", options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TaskFailure);
    expect(failure).toMatchObject({ phase: "setup", message: "the setup script exited with code 3" });
    expect(JSON.stringify(failure)).not.toContain("s3cret");
  });

  it("says a script timed out", async () => {
    const sandbox = fakeSandbox(() => ({ exitCode: 124, timedOut: true }));
    await expect(runScript(sandbox, "the maintenance script", "sleep 9", options)).rejects.toThrow(
      "the maintenance script timed out",
    );
  });
});

describe("rootExec", () => {
  it("runs as root and fails the setup phase with what it could not do", async () => {
    const sandbox = fakeSandbox(() => ({ exitCode: 1 }));
    await expect(rootExec(sandbox, "ln -s", "select the package versions")).rejects.toThrow(
      "could not select the package versions (exit code 1)",
    );
    expect(sandbox.execs[0]?.user).toBe("root");
  });
});
