import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { pino } from "pino";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createDockerSandboxFactory, InvalidTaskIdError } from "../../../src/sandbox/docker-sandbox.js";
import { MANAGED_LABEL, TASK_LABEL, type CreateSandboxOptions, type Sandbox } from "../../../src/sandbox/types.js";

const docker = new Docker();
const factory = createDockerSandboxFactory({ docker, log: pino({ level: "silent" }) });
const image = inject("sandboxImage");
const limits = { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1_000_000_000, pidsLimit: 256 };

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newTaskId(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

async function createSandbox(overrides: Partial<CreateSandboxOptions> = {}): Promise<Sandbox> {
  const taskId = overrides.taskId ?? newTaskId();
  cleanups.push(() => removeEverythingLabelled(taskId));
  const sandbox = await factory.create({ taskId, image, limits, network: false, ...overrides });
  cleanups.push(() => sandbox.remove());
  return sandbox;
}

/** Safety net for the test run itself, independent of the code under test. */
async function removeEverythingLabelled(taskId: string): Promise<void> {
  const filters = { label: [`${TASK_LABEL}=${taskId}`] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
}

async function run(sandbox: Sandbox, command: string, extra: { env?: Record<string, string>; user?: "root" } = {}) {
  const result = await sandbox.exec({ command, timeoutMs: 30_000, maxOutputBytes: 1024 * 1024, ...extra });
  return { ...result, text: result.output.toString("utf8") };
}

/** The sandbox image with its `taskbox` user deleted, labelled with the task id and removed after the test. */
async function imageWithoutTaskboxUser(taskId: string): Promise<string> {
  const tag = `taskbox-test-no-user:${taskId}`;
  const container = await docker.createContainer({
    Image: image,
    User: "root",
    Cmd: ["userdel", "taskbox"], // the sandbox replaces the command; the image keeps the container's labels
    Labels: { [TASK_LABEL]: taskId },
  });
  try {
    await container.start();
    expect(await container.wait()).toMatchObject({ StatusCode: 0 });
    await container.commit({ repo: "taskbox-test-no-user", tag: taskId });
  } finally {
    await container.remove({ force: true });
  }
  cleanups.push(() => docker.getImage(tag).remove({ force: true }));
  return tag;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "taskbox-sandbox-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("docker sandbox exec", () => {
  it("returns stdout and stderr combined in arrival order with the exit code, in /workspace as taskbox", async () => {
    const sandbox = await createSandbox();
    const result = await run(sandbox, "echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2; pwd; id -un; exit 3");
    expect(result.text).toBe("out1\nerr1\nout2\n/workspace\ntaskbox\n");
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, omittedBytes: 0 });
  });

  it("passes the command through without any quoting of its own", async () => {
    const sandbox = await createSandbox();
    const result = await run(sandbox, `printf '%s|' "a'b" 'c"d' '$HOME' "\\$x"; echo`);
    expect(result.text).toBe(`a'b|c"d|$HOME|$x|\n`);
  });

  it("runs as root on request", async () => {
    const sandbox = await createSandbox();
    expect((await run(sandbox, "id -u", { user: "root" })).text).toBe("0\n");
  });

  it("sets env for one exec only, never container-wide", async () => {
    const sandbox = await createSandbox();
    const secret = `s3cret-${randomUUID()}`;
    const first = await run(sandbox, 'printf %s "$TASKBOX_TEST_SECRET"', { env: { TASKBOX_TEST_SECRET: secret } });
    expect(first.text).toBe(secret);

    const second = await run(sandbox, 'printf %s "${TASKBOX_TEST_SECRET-unset}"');
    expect(second.text).toBe("unset");
    // No process in the container (PID 1 included) carries it; grep's own environ does not contain it either.
    // The bracket keeps the pattern itself (in grep's own environ) from matching.
    const search = await run(
      sandbox,
      `grep -l "$NEEDLE" /proc/[0-9]*/environ 2>/dev/null; cat /proc/1/environ | tr '\\0' '\\n'`,
      {
        env: { NEEDLE: `${secret.slice(0, -1)}[${secret.slice(-1)}]` },
      },
    );
    expect(search.text).toContain("PATH=");
    expect(search.text).not.toContain("/proc/");
    expect(search.text).not.toContain(secret);
    const config = await docker.getContainer(sandbox.containerId).inspect();
    expect(JSON.stringify(config.Config.Env)).not.toContain(secret);
  });

  it("stops a command at its timeout, children included, and reports it", async () => {
    const sandbox = await createSandbox();
    const result = await sandbox.exec({ command: "sleep 100 & sleep 100", timeoutMs: 1000, maxOutputBytes: 1000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(124);
    const left = await run(sandbox, "ps -eo args= | grep -cx 'sleep 100' || true");
    expect(left.text).toBe("0\n");
  });

  it("kills a command that ignores SIGTERM", async () => {
    const sandbox = await createSandbox();
    const result = await sandbox.exec({ command: "trap '' TERM; sleep 100", timeoutMs: 500, maxOutputBytes: 1000 });
    // 137: SIGKILL; a command that got only SIGTERM would still be sleeping, and one that finished would exit 0.
    expect(result).toMatchObject({ timedOut: true, exitCode: 137 });
  });

  it("does not mistake a command's own exit code 124 for a timeout", async () => {
    const sandbox = await createSandbox();
    expect(await sandbox.exec({ command: "exit 124", timeoutMs: 10_000, maxOutputBytes: 1000 })).toMatchObject({
      timedOut: false,
      exitCode: 124,
    });
  });

  it("keeps the head and tail of output past the cap and counts the rest", async () => {
    const sandbox = await createSandbox();
    const command = "printf HEAD; head -c 100000 /dev/zero | tr '\\0' m; printf TAIL >&2";
    const result = await sandbox.exec({ command, timeoutMs: 30_000, maxOutputBytes: 1000 });
    const text = result.output.toString("utf8");
    expect(result.output.length).toBe(1000);
    expect(text.startsWith("HEADmmm")).toBe(true);
    expect(text.endsWith("mmmTAIL")).toBe(true);
    expect(result.omittedBytes).toBe(100_008 - 1000);
  });
});

describe("docker sandbox copyIn", () => {
  it("puts a git repository into /workspace owned by taskbox", async () => {
    const repo = tempDir();
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" });
    git("init", "-q", "-b", "main");
    writeFileSync(join(repo, "README.md"), "hello\n");
    writeFileSync(join(repo, "run.sh"), "#!/bin/sh\necho run\n", { mode: 0o755 });
    git("add", "-A");
    git("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "first commit");
    const head = git("rev-parse", "HEAD").trim();

    const sandbox = await createSandbox();
    await sandbox.copyIn(repo);
    const result = await run(
      sandbox,
      "git log --format='%H %s'; git status --porcelain; stat -c '%u:%g %n' . README.md .git/HEAD; ./run.sh",
    );
    expect(result.text).toBe(`${head} first commit\n1000:1000 .\n1000:1000 README.md\n1000:1000 .git/HEAD\nrun\n`);
    expect(result.exitCode).toBe(0);
  });
});

describe("docker sandbox network", () => {
  async function startTestHost(networkName: string): Promise<string> {
    const name = `taskbox-testhost-${randomUUID().slice(0, 8)}`;
    const host = await docker.createContainer({
      name,
      Image: image,
      Cmd: ["python3", "-m", "http.server", "8080"],
      HostConfig: { NetworkMode: networkName },
    });
    cleanups.push(() => host.remove({ force: true }));
    await host.start();
    return name;
  }

  it("reaches a container on its own network until disconnectNetwork, then only has loopback", async () => {
    const taskId = newTaskId();
    const sandbox = await createSandbox({ taskId, network: true });
    expect(sandbox.networkName).toBe(`taskbox-${taskId}`);
    const network = await docker.getNetwork(sandbox.networkName!).inspect();
    expect(network.Labels).toMatchObject({ [MANAGED_LABEL]: "true", [TASK_LABEL]: taskId });

    const hostName = await startTestHost(sandbox.networkName!);
    const fetchHost = `curl -sS -o /dev/null -w '%{http_code}' --max-time 3 http://${hostName}:8080/`;
    const before = await run(sandbox, `for i in $(seq 50); do ${fetchHost} && exit 0; sleep 0.2; done; exit 1`);
    expect(before.text).toContain("200");
    expect((await run(sandbox, `getent hosts ${hostName}`)).exitCode).toBe(0);
    expect((await run(sandbox, "ls /sys/class/net")).text).toContain("eth0");

    await sandbox.disconnectNetwork();
    expect(sandbox.networkName).toBeUndefined();
    expect((await run(sandbox, fetchHost)).exitCode).not.toBe(0);
    const lookup = await run(sandbox, `getent hosts ${hostName}`);
    expect(lookup.exitCode).not.toBe(0);
    // A lookup fails at once instead of waiting for a dead resolver: none is configured, so the resolver asks loopback,
    // where nothing listens.
    expect((await run(sandbox, "grep -c '^nameserver' /etc/resolv.conf || true")).text).toBe("0\n");
    expect((await run(sandbox, "ls /sys/class/net")).text).toBe("lo\n");
    expect((await run(sandbox, "tail -n +2 /proc/net/route | wc -l")).text).toBe("0\n");
    expect(await docker.listNetworks({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })).toEqual([]);

    await sandbox.disconnectNetwork();
    expect((await run(sandbox, "echo still here")).text).toBe("still here\n");
  });

  it("has only loopback when created without network", async () => {
    const taskId = newTaskId();
    const sandbox = await createSandbox({ taskId, network: false });
    expect(sandbox.networkName).toBeUndefined();
    expect((await run(sandbox, "ls /sys/class/net")).text).toBe("lo\n");
    expect(await docker.listNetworks({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })).toEqual([]);
    await sandbox.disconnectNetwork();
  });
});

describe("docker sandbox lifecycle", () => {
  it("creates a labelled, limited, unprivileged container; caller labels cannot replace Taskbox's", async () => {
    const taskId = newTaskId();
    const sandbox = await createSandbox({ taskId, labels: { team: "blue", [MANAGED_LABEL]: "false" } });
    const info = await docker.getContainer(sandbox.containerId).inspect();
    expect(info.Name).toBe(`/taskbox-${taskId}`);
    expect(info.Config.Labels).toMatchObject({ team: "blue", [MANAGED_LABEL]: "true", [TASK_LABEL]: taskId });
    expect(info.Config.User).toBe("taskbox");
    expect(info.HostConfig).toMatchObject({
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Init: true,
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: limits.nanoCpus,
      PidsLimit: limits.pidsLimit,
      NetworkMode: "bridge", // never "none", which could not join a network later; disconnected before start
      ReadonlyRootfs: false,
    });
    const status = await run(sandbox, "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status", { user: "root" });
    expect(status.text).toMatch(/CapEff:\s+0000000000000000\nNoNewPrivs:\s+1\n/);
  });

  it("removes container and network, and a second remove does not throw", async () => {
    const taskId = newTaskId();
    const sandbox = await createSandbox({ taskId, network: true });
    await sandbox.remove();
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    await expect(sandbox.remove()).resolves.toBeUndefined();
    await expect(sandbox.disconnectNetwork()).resolves.toBeUndefined();
  });

  it("rejects a task id that cannot name a container, creating nothing", async () => {
    await expect(createSandbox({ taskId: "Bad_Id" })).rejects.toBeInstanceOf(InvalidTaskIdError);
    await expect(createSandbox({ taskId: "" })).rejects.toBeInstanceOf(InvalidTaskIdError);
  });

  it("cleans up the network when the container cannot be created", async () => {
    const taskId = newTaskId();
    await expect(createSandbox({ taskId, network: true, image: "taskbox-no-such-image:never" })).rejects.toThrow(
      /no-such-image/,
    );
    expect(await docker.listNetworks({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })).toEqual([]);
  });

  it("cleans up container and network when the container cannot start", async () => {
    const taskId = newTaskId();
    // Without a `taskbox` user, Docker creates the container but refuses to start it (the error names the user; a
    // missing image would fail earlier, at creation, with "No such image").
    const noUser = await imageWithoutTaskboxUser(taskId);
    await expect(createSandbox({ taskId, network: true, image: noUser })).rejects.toThrow(
      /unable to find user taskbox/,
    );
    const filters = { label: [`${TASK_LABEL}=${taskId}`] };
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
  });

  it("fails on a missing CA bundle before creating anything", async () => {
    const taskId = newTaskId();
    await expect(createSandbox({ taskId, network: true, caBundlePath: "/nonexistent/ca.pem" })).rejects.toThrow(
      /ENOENT/,
    );
    expect(await docker.listNetworks({ filters: { label: [`${TASK_LABEL}=${taskId}`] } })).toEqual([]);
  });
});

describe("docker sandbox CA bundle", () => {
  function makeCertificate(): { path: string; pem: string } {
    const dir = tempDir();
    const path = join(dir, "extra-ca.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Taskbox Test CA",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        path,
      ],
      { stdio: "ignore" },
    );
    return { path, pem: readFileSync(path, "utf8") };
  }

  it("appends the bundle to the system store once and points tools at it in every exec", async () => {
    const ca = makeCertificate();
    const line = ca.pem.split("\n")[1]!;
    const sandbox = await createSandbox({ caBundlePath: ca.path });
    const store = "/etc/ssl/certs/ca-certificates.crt";
    expect((await run(sandbox, `grep -cxF '${line}' ${store}`)).text).toBe("1\n");
    expect((await run(sandbox, `openssl verify -CAfile ${store} "$NODE_EXTRA_CA_CERTS"`)).text).toContain(": OK");
    const env = await run(
      sandbox,
      "printenv NODE_EXTRA_CA_CERTS SSL_CERT_FILE REQUESTS_CA_BUNDLE PIP_CERT GIT_SSL_CAINFO",
    );
    expect(env.text).toBe(`/etc/taskbox/extra-ca.pem\n${`${store}\n`.repeat(4)}`);
    expect((await run(sandbox, "cat /etc/taskbox/extra-ca.pem")).text).toBe(ca.pem);
    // The mount is read-only even for root.
    expect((await run(sandbox, "echo x >> /etc/taskbox/extra-ca.pem", { user: "root" })).exitCode).not.toBe(0);

    // A container made from a committed sandbox (as an environment cache would) already has it.
    const repo = `taskbox-test-snapshot-${randomUUID().slice(0, 8)}`;
    const committed = await docker.getContainer(sandbox.containerId).commit({ repo, tag: "latest" });
    cleanups.push(() => docker.getImage(committed.Id as string).remove({ force: true }));
    const fromSnapshot = await createSandbox({ caBundlePath: ca.path, image: `${repo}:latest` });
    expect((await run(fromSnapshot, `grep -cxF '${line}' ${store}`)).text).toBe("1\n");
  });

  it("sets no CA variables without a bundle", async () => {
    const sandbox = await createSandbox();
    expect((await run(sandbox, 'printf %s "${NODE_EXTRA_CA_CERTS-unset}"')).text).toBe("unset");
  });
});
