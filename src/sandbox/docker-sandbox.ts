import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { pack } from "tar-fs";
import { execInContainer } from "./exec-in-container.js";
import type { DiskWatch } from "./disk-cap.js";
import { ignoringStatus } from "./ignoring-status.js";
import { removeSandboxResources } from "./remove-sandbox-resources.js";
import { createHardenedContainer, type SandboxHardening } from "./sandbox-hardening.js";
import { SandboxNetwork } from "./sandbox-network.js";
import {
  MANAGED_LABEL,
  TASK_LABEL,
  type CreateSandboxOptions,
  type ExecRequest,
  type ExecResult,
  type NetworkAccess,
  type Sandbox,
  type SandboxFactory,
} from "./types.js";

const TASK_ID_PATTERN = /^[a-z0-9-]{1,64}$/;
/** uid/gid of the `taskbox` user in the sandbox image. */
const SANDBOX_UID = 1000;
const WORKSPACE = "/workspace";
const CA_BUNDLE_MOUNT = "/etc/taskbox/extra-ca.pem";
const SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";
/** For Taskbox's own short maintenance commands inside the sandbox. */
const MAINTENANCE_EXEC = { user: "root", timeoutMs: 30_000, maxOutputBytes: 16 * 1024 } as const;

export class InvalidTaskIdError extends Error {
  constructor(taskId: string) {
    super(`Task id ${JSON.stringify(taskId)} cannot name a sandbox: use 1-64 characters from a-z, 0-9 and "-"`);
    this.name = "InvalidTaskIdError";
  }
}

export class CaBundleInstallError extends Error {
  constructor(caBundlePath: string, exitCode: number, output: string) {
    super(
      `Could not add the CA bundle ${caBundlePath} to ${SYSTEM_CA_FILE} in the sandbox (exit code ${exitCode}): ${output}`,
    );
    this.name = "CaBundleInstallError";
  }
}

/**
 * Tools behind a TLS-intercepting proxy must trust its CA. Each ecosystem reads trust from its own place:
 * OpenSSL-based tools (curl, git, apt, Python) read the system bundle, which gets the extra certificates
 * appended; pip, requests and git are pointed at it explicitly because some of them bundle their own roots;
 * Node only adds certificates from NODE_EXTRA_CA_CERTS to its built-in roots.
 */
const CA_ENV: Record<string, string> = {
  NODE_EXTRA_CA_CERTS: CA_BUNDLE_MOUNT,
  SSL_CERT_FILE: SYSTEM_CA_FILE,
  REQUESTS_CA_BUNDLE: SYSTEM_CA_FILE,
  PIP_CERT: SYSTEM_CA_FILE,
  GIT_SSL_CAINFO: SYSTEM_CA_FILE,
};

interface CaBundle {
  /** Absolute host path, as bind mounts need. */
  path: string;
  /** Names the bundle's content, so a container made from a committed sandbox does not append it twice. */
  marker: string;
}

async function readCaBundle(caBundlePath: string): Promise<CaBundle> {
  const path = resolve(caBundlePath);
  const digest = createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
  return { path, marker: `# taskbox extra CA sha256:${digest}` };
}

async function installCaBundle(sandbox: Sandbox, caBundle: CaBundle): Promise<void> {
  const result = await sandbox.exec({
    command:
      `grep -qxF "$TASKBOX_CA_MARKER" ${SYSTEM_CA_FILE} 2>/dev/null || ` +
      `{ printf '\\n%s\\n' "$TASKBOX_CA_MARKER"; cat ${CA_BUNDLE_MOUNT}; echo; } >> ${SYSTEM_CA_FILE}`,
    env: { TASKBOX_CA_MARKER: caBundle.marker },
    ...MAINTENANCE_EXEC,
  });
  if (result.exitCode !== 0) {
    throw new CaBundleInstallError(caBundle.path, result.exitCode, result.output.toString("utf8"));
  }
}

export function createDockerSandboxFactory(deps: {
  docker: Docker;
  log: Logger;
  hardening?: SandboxHardening;
}): SandboxFactory {
  return { create: (options) => createDockerSandbox(deps.docker, deps.log, options, deps.hardening ?? {}) };
}

async function createDockerSandbox(
  docker: Docker,
  log: Logger,
  options: CreateSandboxOptions,
  hardening: SandboxHardening,
): Promise<Sandbox> {
  if (!TASK_ID_PATTERN.test(options.taskId)) throw new InvalidTaskIdError(options.taskId);
  const name = `taskbox-${options.taskId}`;
  // Taskbox's labels come last so that no caller can hide a sandbox from the orphan sweep.
  const labels = { ...options.labels, ...hardening.labels, [MANAGED_LABEL]: "true", [TASK_LABEL]: options.taskId };
  // Read before anything exists, so a missing file fails without leaving a container behind.
  const caBundle = options.caBundlePath === undefined ? undefined : await readCaBundle(options.caBundlePath);
  // Only one attempt of a task runs at a time, so a sandbox under this name is a leftover of an attempt that crashed.
  await removeSandboxResources(docker, { containers: [name], networks: [name] });

  const network = options.network
    ? await docker.createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Labels: labels })
    : undefined;
  let sandbox: DockerSandbox | undefined;
  try {
    const { container, diskWatch } = await createHardenedContainer(
      docker,
      hardening,
      log.child({ taskId: options.taskId }),
      {
        name,
        Image: options.image,
        Cmd: ["sleep", "infinity"],
        User: "taskbox",
        WorkingDir: WORKSPACE,
        Labels: labels,
        HostConfig: {
          // Not "none": a container in that mode can never join a network, and a later phase may need one.
          NetworkMode: network ? name : "bridge",
          CapDrop: ["ALL"],
          SecurityOpt: ["no-new-privileges"],
          // docker-init reaps the zombies that killed commands leave behind.
          Init: true,
          Memory: options.limits.memoryBytes,
          MemorySwap: options.limits.memoryBytes,
          NanoCpus: options.limits.nanoCpus,
          PidsLimit: options.limits.pidsLimit,
          Binds: caBundle ? [`${caBundle.path}:${CA_BUNDLE_MOUNT}:ro`] : [],
        },
      },
    );
    sandbox = new DockerSandbox({
      container,
      docker,
      network: { ownName: name, labels, own: network },
      execEnv: caBundle ? CA_ENV : {},
      diskWatch,
      log: log.child({ taskId: options.taskId, containerId: container.id }),
    });
    // Before start, so the container never has an interface besides loopback.
    if (!network) await docker.getNetwork("bridge").disconnect({ Container: container.id });
    // A container accepts files before it runs, so the copy overlaps the start.
    const copied = options.workspace?.().then((dir) => sandbox!.copyIn(dir));
    const [started, copy] = await Promise.allSettled([container.start(), copied]);
    if (started.status === "rejected") throw started.reason;
    if (copy.status === "rejected") throw copy.reason;
    if (caBundle) await installCaBundle(sandbox, caBundle);
  } catch (error) {
    const cleanup = sandbox ? sandbox.remove() : network?.remove();
    await cleanup?.catch((cleanupError: unknown) =>
      log.warn({ taskId: options.taskId, err: cleanupError }, "could not clean up a half-created sandbox"),
    );
    throw error;
  }
  log.info({ taskId: options.taskId, containerId: sandbox.containerId, network: options.network }, "sandbox created");
  return sandbox;
}

class DockerSandbox implements Sandbox {
  readonly containerId: string;
  readonly #container: Docker.Container;
  readonly #network: SandboxNetwork;
  readonly #execEnv: Record<string, string>;
  readonly #diskWatch: DiskWatch | undefined;
  readonly #log: Logger;
  #removal: Promise<void> | undefined;

  constructor(parts: {
    container: Docker.Container;
    docker: Docker;
    network: { ownName: string; labels: Record<string, string>; own: Docker.Network | undefined };
    execEnv: Record<string, string>;
    diskWatch?: DiskWatch;
    log: Logger;
  }) {
    this.containerId = parts.container.id;
    this.#container = parts.container;
    this.#execEnv = parts.execEnv;
    this.#diskWatch = parts.diskWatch;
    this.#log = parts.log;
    this.#network = new SandboxNetwork({
      ...parts.network,
      docker: parts.docker,
      containerId: parts.container.id,
      root: (command, env) => this.exec({ command, env, ...MAINTENANCE_EXEC }),
      log: parts.log,
    });
  }

  get networkName(): string | undefined {
    return this.#network.name;
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    // A sandbox stopped for its disk use fails every command with that reason, including the one that was running.
    this.#diskWatch?.throwIfExceeded();
    const result = await execInContainer(this.#container, request, { ...this.#execEnv, ...this.#network.execEnv });
    this.#diskWatch?.throwIfExceeded();
    return result;
  }

  async copyIn(hostDir: string): Promise<void> {
    const archive = pack(hostDir, { map: (header) => ({ ...header, uid: SANDBOX_UID, gid: SANDBOX_UID }) });
    // tar-fs streams are streamx streams, which @types/dockerode does not know; dockerode only pipes them.
    await this.#container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: WORKSPACE });
  }

  disconnectNetwork(): Promise<void> {
    return this.#network.set({ mode: "off" });
  }

  setNetwork(access: NetworkAccess): Promise<void> {
    return this.#network.set(access);
  }

  async snapshot(options: { tag: string; labels: Record<string, string> }): Promise<string> {
    const colon = options.tag.lastIndexOf(":");
    // Labels go in the body, the config the image gets (Docker keeps the container's other labels), so no Dockerfile
    // quoting is involved; pausing keeps running processes from changing files halfway through.
    const image = (await this.#container.commit({
      _query: {
        container: this.containerId,
        repo: options.tag.slice(0, colon),
        tag: options.tag.slice(colon + 1),
        pause: true,
      },
      _body: { Labels: options.labels },
    })) as { Id: string };
    this.#log.info({ imageId: image.Id, tag: options.tag }, "sandbox committed to an image");
    return image.Id;
  }

  /**
   * One removal however often asked: a cancel or timeout starts it, and the task's cleanup must wait for that one to
   * end (a second Docker remove would answer 409 at once, while the container still exists).
   */
  remove(): Promise<void> {
    this.#removal ??= this.#remove();
    return this.#removal;
  }

  async #remove(): Promise<void> {
    this.#diskWatch?.stop();
    // 409: another call is already removing it.
    await ignoringStatus(this.#container.remove({ force: true, v: true }), [404, 409]);
    await this.#network.release();
    this.#log.info("sandbox removed");
  }
}
