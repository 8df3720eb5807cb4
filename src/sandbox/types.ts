import type { Readable } from "node:stream";

export interface SandboxLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
}

export interface CreateSandboxOptions {
  /** [a-z0-9-]; names the container and network `taskbox-<taskId>`. */
  taskId: string;
  image: string;
  /** Merged with Taskbox's own labels, which always win. */
  labels?: Record<string, string>;
  limits: SandboxLimits;
  /**
   * true: starts attached to its own per-task bridge network (outbound access);
   * false: loopback only from the start. Either way setNetwork() switches it later.
   */
  network: boolean;
  /** Host PEM file of extra CA certificates the sandbox must trust. */
  caBundlePath?: string;
  /**
   * A host directory to copy into /workspace (as copyIn does) while the container starts; called once the container
   * exists, so the caller may still be preparing the directory.
   */
  workspace?: () => Promise<string>;
}

export interface ExecRequest {
  /** Run as `bash -lc <command>` with cwd /workspace. */
  command: string;
  /** For this exec only, never container-wide (secrets go here for setup only). */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Cap on combined stdout+stderr; past it the first and last halves are kept and the dropped middle is counted. */
  maxOutputBytes: number;
  /** Default "taskbox". */
  user?: "taskbox" | "root";
  /** Streamed to the command's stdin, which closes at its end (files go in this way: it works under gVisor too). */
  input?: Readable;
  /** Gets stdout and stderr as they arrive (all of it, also what the cap leaves out of the result). */
  onOutput?: (chunk: Buffer) => void;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr combined in arrival order. */
  output: Buffer;
  omittedBytes: number;
  timedOut: boolean;
  durationMs: number;
}

export interface Sandbox {
  readonly containerId: string;
  /** The per-task network while attached. */
  readonly networkName: string | undefined;
  exec(request: ExecRequest): Promise<ExecResult>;
  /** Puts hostDir's contents (including .git) into /workspace, owned by uid/gid 1000. */
  copyIn(hostDir: string): Promise<void>;
  /** Absolute paths that were added or changed in the container's root filesystem since its image (no deletions). */
  changedPaths(): Promise<string[]>;
  /**
   * Streams the regular files among `paths` out of the sandbox (read as the sandbox user, links not followed), one at
   * a time: the next file comes once `onFile` has consumed the content and resolved. Returns the files the sandbox
   * user could not read.
   */
  readFiles(
    paths: string[],
    onFile: (path: string, content: AsyncIterable<Buffer>) => Promise<void>,
  ): Promise<{ unreadable: string[] }>;
  /** Afterwards only loopback: no DNS, no route. Removes the per-task network; idempotent. */
  disconnectNetwork(): Promise<void>;
  /** Switches the sandbox's network for the next phase; `off` is disconnectNetwork(). Idempotent. */
  setNetwork(access: NetworkAccess): Promise<void>;
  /**
   * Commits the container's filesystem to a new image carrying `labels` and tagged `tag`, and returns its id. Only the
   * root filesystem is kept (no volumes, no processes); a sandbox created from the image starts where this one is.
   */
  snapshot(options: { tag: string; labels: Record<string, string> }): Promise<string>;
  /** Force-removes the container (and network if any); idempotent, never throws when already gone. */
  remove(): Promise<void>;
}

/**
 * A phase's network. off: loopback only, no DNS. open: the sandbox's own bridge network, ordinary outbound access.
 * limited: an internal network with no route out, whose only way out is the egress proxy at proxyUrl; every exec
 * gets HTTP_PROXY/HTTPS_PROXY/NO_PROXY (both cases), and names do not resolve inside the sandbox.
 * internal: an internal network with no route out and no proxy, where only what Taskbox put there (the model
 * gateway) answers; no DNS either.
 */
export type NetworkAccess =
  | { mode: "off" }
  | { mode: "open" }
  | { mode: "limited"; networkName: string; proxyUrl: string }
  | { mode: "internal"; networkName: string };

export interface SandboxFactory {
  create(options: CreateSandboxOptions): Promise<Sandbox>;
}

/** Value "true" on every container and network Taskbox creates. */
export const MANAGED_LABEL = "taskbox.managed";
/** Value: the task id. */
export const TASK_LABEL = "taskbox.task";
