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
   * true: starts attached to its own per-task bridge network (outbound access) until disconnectNetwork();
   * false: loopback only from the start.
   */
  network: boolean;
  /** Host PEM file of extra CA certificates the sandbox must trust. */
  caBundlePath?: string;
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
  /** Afterwards only loopback: no DNS, no route. Removes the per-task network; idempotent. */
  disconnectNetwork(): Promise<void>;
  /** Force-removes the container (and network if any); idempotent, never throws when already gone. */
  remove(): Promise<void>;
}

export interface SandboxFactory {
  create(options: CreateSandboxOptions): Promise<Sandbox>;
}

/** Value "true" on every container and network Taskbox creates. */
export const MANAGED_LABEL = "taskbox.managed";
/** Value: the task id. */
export const TASK_LABEL = "taskbox.task";
