import type Docker from "dockerode";
import type { Logger } from "pino";
import { ignoringStatus } from "./ignoring-status.js";
import { removeSandboxResources } from "./remove-sandbox-resources.js";
import type { ExecResult, NetworkAccess } from "./types.js";

/** Runs a short shell command as root inside the sandbox (with extra env for that command only). */
export type RootCommand = (command: string, env?: Record<string, string>) => Promise<ExecResult>;

const EMPTY_RESOLV_CONF = "printf '# Taskbox: no resolver in this phase\\n' > /etc/resolv.conf";
const NO_PROXY = "localhost,127.0.0.1,::1";

/** Both spellings: curl and wget read only the lower-case ones for http, other tools only the upper-case ones. */
export function proxyEnvironment(proxyUrl: string): Record<string, string> {
  return {
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    NO_PROXY,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    no_proxy: NO_PROXY,
  };
}

/**
 * The network side of one sandbox container. The container is never in Docker's `none` mode (which cannot be
 * connected later), so every phase can get its own access: its own bridge network (open), the egress proxy's
 * internal network (limited), or nothing but loopback (off).
 */
export class SandboxNetwork {
  readonly #docker: Docker;
  readonly #containerId: string;
  /** Name and labels of the sandbox's own bridge network, created when a phase needs open access. */
  readonly #ownName: string;
  readonly #labels: Record<string, string>;
  readonly #root: RootCommand;
  readonly #log: Logger;
  #own: Docker.Network | undefined;
  #access: NetworkAccess;
  /** The container's resolv.conf from before Taskbox first emptied it, to restore for open access. */
  #resolvConf: string | undefined;

  constructor(parts: {
    docker: Docker;
    containerId: string;
    ownName: string;
    labels: Record<string, string>;
    /** The sandbox's own network when it was created attached to it. */
    own: Docker.Network | undefined;
    root: RootCommand;
    log: Logger;
  }) {
    this.#docker = parts.docker;
    this.#containerId = parts.containerId;
    this.#ownName = parts.ownName;
    this.#labels = parts.labels;
    this.#root = parts.root;
    this.#log = parts.log;
    this.#own = parts.own;
    this.#access = parts.own ? { mode: "open" } : { mode: "off" };
  }

  /** The network the container is attached to, if any. */
  get name(): string | undefined {
    if (this.#access.mode === "open") return this.#ownName;
    return this.#access.mode === "off" ? undefined : this.#access.networkName;
  }

  /** Environment every exec gets for the current access. */
  get execEnv(): Record<string, string> {
    return this.#access.mode === "limited" ? proxyEnvironment(this.#access.proxyUrl) : {};
  }

  async set(access: NetworkAccess): Promise<void> {
    if (sameAccess(this.#access, access)) return;
    await this.#leave();
    this.#access = { mode: "off" };
    if (access.mode === "open") {
      await this.#restoreResolver();
      await this.#joinOwn();
    } else {
      if (access.mode !== "off")
        await this.#docker.getNetwork(access.networkName).connect({ Container: this.#containerId });
      // Only loopback (off), the proxy (limited) or the model gateway (internal) is reachable, so lookups would only wait for a dead resolver.
      await this.#dropResolver();
    }
    this.#access = access;
    this.#log.info({ network: access.mode }, "sandbox network set");
  }

  /** Removes the sandbox's own network once the container is gone; idempotent. Afterwards `off` is a no-op. */
  async release(): Promise<void> {
    await this.#removeOwn();
    this.#access = { mode: "off" };
  }

  async #leave(): Promise<void> {
    if (this.#access.mode === "open") await this.#removeOwn();
    if (this.#access.mode === "limited" || this.#access.mode === "internal") {
      await ignoringStatus(
        this.#docker.getNetwork(this.#access.networkName).disconnect({ Container: this.#containerId, Force: true }),
        [404],
      );
    }
  }

  async #joinOwn(): Promise<void> {
    const own = await this.#docker.createNetwork({
      Name: this.#ownName,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: this.#labels,
    });
    this.#own = own;
    await own.connect({ Container: this.#containerId });
  }

  /** With whatever else is still attached to it (a test host, say). */
  async #removeOwn(): Promise<void> {
    if (!this.#own) return;
    await removeSandboxResources(this.#docker, { networks: [this.#own.id] });
    this.#own = undefined;
  }

  /**
   * Off the network, Docker's embedded resolver at 127.0.0.11 stops answering and every lookup hangs until it
   * times out (20 s for getent); an empty resolv.conf makes lookups fail at once instead. The first time, the
   * original is kept: Docker's resolver takes its upstream servers from it when the container first joins a network.
   */
  async #dropResolver(): Promise<void> {
    const keep = this.#resolvConf === undefined;
    const result = await this.#root(keep ? `cat /etc/resolv.conf && ${EMPTY_RESOLV_CONF}` : EMPTY_RESOLV_CONF);
    if (result.exitCode !== 0) {
      const output = result.output.toString("utf8");
      this.#log.warn(
        { exitCode: result.exitCode, output },
        "could not empty resolv.conf; lookups will time out, not fail",
      );
      return;
    }
    if (keep) this.#resolvConf = result.output.toString("utf8");
  }

  async #restoreResolver(): Promise<void> {
    if (this.#resolvConf === undefined) return;
    const result = await this.#root('printf %s "$TASKBOX_RESOLV_CONF" > /etc/resolv.conf', {
      TASKBOX_RESOLV_CONF: this.#resolvConf,
    });
    if (result.exitCode !== 0) {
      this.#log.warn(
        { exitCode: result.exitCode, output: result.output.toString("utf8") },
        "could not restore resolv.conf",
      );
    }
  }
}

function sameAccess(a: NetworkAccess, b: NetworkAccess): boolean {
  if (a.mode === "limited" && b.mode === "limited") return a.networkName === b.networkName && a.proxyUrl === b.proxyUrl;
  if (a.mode === "internal" && b.mode === "internal") return a.networkName === b.networkName;
  return a.mode === b.mode;
}
