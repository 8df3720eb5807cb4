import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { pack } from "tar-fs";
import { execInContainer } from "./exec-in-container.js";
import {
  MANAGED_LABEL,
  TASK_LABEL,
  type CreateSandboxOptions,
  type ExecRequest,
  type ExecResult,
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
  const digest = createHash("sha256").update(await readFile(path)).digest("hex");
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

export function createDockerSandboxFactory(deps: { docker: Docker; log: Logger }): SandboxFactory {
  return { create: (options) => createDockerSandbox(deps.docker, deps.log, options) };
}

async function createDockerSandbox(docker: Docker, log: Logger, options: CreateSandboxOptions): Promise<Sandbox> {
  if (!TASK_ID_PATTERN.test(options.taskId)) throw new InvalidTaskIdError(options.taskId);
  const name = `taskbox-${options.taskId}`;
  // Taskbox's labels come last so that no caller can hide a sandbox from the orphan sweep.
  const labels = { ...options.labels, [MANAGED_LABEL]: "true", [TASK_LABEL]: options.taskId };
  // Read before anything exists, so a missing file fails without leaving a container behind.
  const caBundle = options.caBundlePath === undefined ? undefined : await readCaBundle(options.caBundlePath);

  const network = options.network
    ? await docker.createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Labels: labels })
    : undefined;
  let sandbox: DockerSandbox | undefined;
  try {
    const container = await docker.createContainer({
      name,
      Image: options.image,
      Cmd: ["sleep", "infinity"],
      User: "taskbox",
      WorkingDir: WORKSPACE,
      Labels: labels,
      HostConfig: {
        NetworkMode: network ? name : "none",
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
    });
    sandbox = new DockerSandbox({
      container,
      network: network && { handle: network, name },
      execEnv: caBundle ? CA_ENV : {},
      log: log.child({ taskId: options.taskId, containerId: container.id }),
    });
    await container.start();
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
  #network: { handle: Docker.Network; name: string } | undefined;
  readonly #execEnv: Record<string, string>;
  readonly #log: Logger;

  constructor(parts: {
    container: Docker.Container;
    network: { handle: Docker.Network; name: string } | undefined;
    execEnv: Record<string, string>;
    log: Logger;
  }) {
    this.containerId = parts.container.id;
    this.#container = parts.container;
    this.#network = parts.network;
    this.#execEnv = parts.execEnv;
    this.#log = parts.log;
  }

  get networkName(): string | undefined {
    return this.#network?.name;
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return execInContainer(this.#container, request, this.#execEnv);
  }

  async copyIn(hostDir: string): Promise<void> {
    const archive = pack(hostDir, { map: (header) => ({ ...header, uid: SANDBOX_UID, gid: SANDBOX_UID }) });
    // tar-fs streams are streamx streams, which @types/dockerode does not know; dockerode only pipes them.
    await this.#container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: WORKSPACE });
  }

  async disconnectNetwork(): Promise<void> {
    if (!this.#network) return;
    await this.#removeNetwork();
    await this.#dropResolver();
    this.#log.info("sandbox network disconnected");
  }

  /**
   * Without its network, Docker's embedded resolver at 127.0.0.11 stops answering and every name lookup
   * hangs until it times out (20 s for getent). An empty resolv.conf makes lookups fail at once instead.
   */
  async #dropResolver(): Promise<void> {
    const result = await this.exec({
      command: "printf '# Taskbox: the network is cut, so there is no resolver\\n' > /etc/resolv.conf",
      ...MAINTENANCE_EXEC,
    });
    if (result.exitCode !== 0) {
      const output = result.output.toString("utf8");
      this.#log.warn({ exitCode: result.exitCode, output }, "could not empty resolv.conf; lookups will time out, not fail");
    }
  }

  async remove(): Promise<void> {
    // 409: another call is already removing it.
    await ignoringStatus(this.#container.remove({ force: true, v: true }), [404, 409]);
    await this.#removeNetwork();
    this.#log.info("sandbox removed");
  }

  /** Docker refuses to remove a network with endpoints, so whatever is still attached to the task's network goes first. */
  async #removeNetwork(): Promise<void> {
    const network = this.#network?.handle;
    if (!network) return;
    const info: Docker.NetworkInspectInfo | undefined = await ignoringStatus(network.inspect(), [404]);
    for (const containerId of Object.keys(info?.Containers ?? {})) {
      await ignoringStatus(network.disconnect({ Container: containerId, Force: true }), [404]);
    }
    if (info) await ignoringStatus(network.remove(), [404]);
    this.#network = undefined;
  }
}

/** Resolves undefined instead of failing when Docker answers with one of statusCodes (gone, already going). */
async function ignoringStatus<T>(operation: Promise<T>, statusCodes: number[]): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === "number" && statusCodes.includes(statusCode)) return undefined;
    throw error;
  }
}
