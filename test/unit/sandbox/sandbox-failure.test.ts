import { describe, expect, it } from "vitest";
import { describeSandboxFailure } from "../../../src/sandbox/sandbox-failure.js";

describe("describeSandboxFailure", () => {
  it.each([
    "connect ENOENT /var/run/docker.sock",
    "connect ECONNREFUSED 127.0.0.1:2375",
    "socket hang up",
    "(HTTP code 409) container stopped/paused - Container 0a1b is not running",
    "(HTTP code 404) no such exec instance - No such exec instance: 5c2e",
  ])("says the sandbox is gone for %j", (message) => {
    const description = describeSandboxFailure(new Error(message));
    expect(description).toContain("the Docker engine was unreachable or restarted while the task ran");
    expect(description).toContain(message);
  });

  it("says the process limit was reached when no process could start", () => {
    const description = describeSandboxFailure(
      new Error(
        "the diff script exited with code 125: timeout: fork system call failed: Resource temporarily unavailable",
      ),
    );
    expect(description).toContain("reached its process limit (TASKBOX_SANDBOX_PIDS)");
  });

  it.each([
    new Error("ENOENT: no such file or directory, open '/etc/docker/ca.pem'"),
    new Error("git push failed"),
    "not an error",
  ])("leaves other errors alone: %j", (error) => {
    expect(describeSandboxFailure(error)).toBeUndefined();
  });
});
