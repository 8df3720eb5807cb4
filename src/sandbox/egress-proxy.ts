import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { Logger } from "pino";
import { denialLogger } from "./denial-log.js";
import { HTTPS_PORT } from "./egress-proxy-checks.mjs";
import { bundleProxyProgram } from "./egress-proxy-program.js";
import type { EgressEvent, EgressPolicy } from "./egress-proxy-server.mjs";
import { ignoringStatus } from "./ignoring-status.js";
import { removeSandboxResources } from "./remove-sandbox-resources.js";
import { MANAGED_LABEL, TASK_LABEL } from "./types.js";

/** A decision of the proxy about one request (everything it logs but its start). */
export type EgressDecision = Exclude<EgressEvent, { event: "listening" }>;

export interface EgressProxy {
  /** The internal network the sandbox joins: no route out, the proxy is its only member with one. */
  readonly networkName: string;
  /** `http://<proxy address on the internal network>:<port>`, for HTTP_PROXY and HTTPS_PROXY. */
  readonly proxyUrl: string;
  /** Removes the proxy and its networks once every decision it made has been reported; idempotent. */
  stop(): Promise<void>;
}

export interface StartEgressProxyOptions {
  taskId: string;
  policy: EgressPolicy;
  /** Called for each request the proxy denies, in order. */
  onDenied(decision: EgressDecision): void;
}

export interface EgressProxyFactory {
  start(options: StartEgressProxyOptions): Promise<EgressProxy>;
}

export class EgressProxyError extends Error {
  constructor(message: string) {
    super(`The egress proxy for internet.agent: limited could not start: ${message}`);
    this.name = "EgressProxyError";
  }
}

const PROXY_PORT = 3128;
const READY_TIMEOUT_MS = 30_000;
/** Time for the last log lines to arrive after the container is killed. */
const DRAIN_TIMEOUT_MS = 5_000;
const PROXY_LIMITS = { Memory: 256 * 1024 * 1024, NanoCpus: 1_000_000_000, PidsLimit: 64 };
/** `nobody`: the proxy needs no account, and any image has this uid. */
const PROXY_USER = "65534:65534";

export interface EgressProxyDeps {
  docker: Docker;
  log: Logger;
  /** An image with Node.js 18 or later; the sandbox image has it. */
  image: string;
  outsideNetwork?: string;
  /** CIDR ranges allowed names may resolve to besides public ones (TASKBOX_EGRESS_ALLOWED_RANGES). */
  allowedRanges?: string[];
  /** CONNECT ports besides 443 (TASKBOX_EGRESS_CONNECT_PORTS). */
  connectPorts?: number[];
  /** Extra labels of the proxy and its networks (Taskbox's own win), such as the deployment's for the orphan reaper. */
  labels?: Record<string, string>;
}

/**
 * Runs the egress proxy of one task in its own container. The container sits on two networks: an internal one
 * (Docker's `Internal`, no route out) that the sandbox joins, and the outside network, which is a per-task bridge
 * unless `outsideNetwork` names an existing network (TASKBOX_EGRESS_NETWORK). Everything is labelled with the task.
 */
export function createDockerEgressProxyFactory(deps: EgressProxyDeps): EgressProxyFactory {
  let program: Promise<string> | undefined;
  return {
    start: (options) => {
      program ??= bundleProxyProgram();
      return startEgressProxy(deps, options, program);
    },
  };
}

async function startEgressProxy(
  deps: EgressProxyDeps,
  options: StartEgressProxyOptions,
  program: Promise<string>,
): Promise<EgressProxy> {
  const { docker } = deps;
  const log = deps.log.child({ taskId: options.taskId, component: "egress-proxy" });
  const name = `taskbox-${options.taskId}-egress`;
  const internalName = `taskbox-${options.taskId}-internal`;
  const labels = {
    ...deps.labels,
    [MANAGED_LABEL]: "true",
    [TASK_LABEL]: options.taskId,
    "taskbox.role": "egress-proxy",
  };
  const resources = new ProxyResources(docker);
  try {
    const source = await program;
    // Only one attempt of a task runs at a time, so anything under these names is a leftover of one that crashed.
    await removeSandboxResources(docker, {
      containers: [name],
      networks: [internalName, ...(deps.outsideNetwork === undefined ? [name] : [])],
    });
    const [internal, outside] = await settledBoth(
      resources.network({
        Name: internalName,
        Internal: true,
        // Without an address on the host's side of the bridge, the host's own services (which an internal network
        // still reaches through its gateway) are out of reach too; only the proxy answers on this network.
        Options: { "com.docker.network.bridge.inhibit_ipv4": "true" },
        Labels: labels,
      }),
      deps.outsideNetwork === undefined
        ? resources.network({ Name: name, Labels: labels })
        : Promise.resolve({ name: deps.outsideNetwork }),
    );
    const container = await createProxyContainer(docker, {
      name,
      image: deps.image,
      outside: outside.name,
      labels,
      source,
      env: {
        TASKBOX_EGRESS_POLICY: JSON.stringify(options.policy),
        TASKBOX_EGRESS_PORT: String(PROXY_PORT),
        TASKBOX_EGRESS_ALLOWED_RANGES: JSON.stringify(deps.allowedRanges ?? []),
        TASKBOX_EGRESS_CONNECT_PORTS: JSON.stringify([...new Set([HTTPS_PORT, ...(deps.connectPorts ?? [])])]),
      },
    });
    resources.container = container;
    await docker.getNetwork(internal.name).connect({ Container: container.id });
    await container.start();
    const stream = await container.logs({ follow: true, stdout: true, stderr: true });
    const ready = readEvents(docker, stream, log, options.onDenied);
    resources.drain = ready.drained;
    await ready.listening;
    const info = await container.inspect();
    const address = info.NetworkSettings.Networks[internal.name]?.IPAddress;
    if (!address) throw new EgressProxyError(`the proxy container has no address on ${internal.name}`);
    log.info({ address, outside: outside.name }, "egress proxy started");
    return {
      networkName: internal.name,
      proxyUrl: `http://${address}:${PROXY_PORT}`,
      stop: () => resources.remove(log),
    };
  } catch (error) {
    await resources
      .remove(log)
      .catch((cleanupError: unknown) =>
        log.warn({ err: cleanupError }, "could not clean up a half-started egress proxy"),
      );
    if (error instanceof EgressProxyError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    const hint =
      deps.outsideNetwork !== undefined && /network .* not found/i.test(message)
        ? ` (is TASKBOX_EGRESS_NETWORK=${deps.outsideNetwork} an existing Docker network?)`
        : "";
    throw new EgressProxyError(`${message}${hint}`);
  }
}

/** Both results, once both settled: a failure of one must not leave the other still creating something unseen. */
async function settledBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === "rejected") throw first.reason;
  if (second.status === "rejected") throw second.reason;
  return [first.value, second.value];
}

function createProxyContainer(
  docker: Docker,
  spec: {
    name: string;
    image: string;
    outside: string;
    labels: Record<string, string>;
    source: string;
    env: Record<string, string>;
  },
): Promise<Docker.Container> {
  return docker.createContainer({
    name: spec.name,
    Image: spec.image,
    // The program travels in the command itself: no mount (the worker may itself run in a container) and no copy.
    Entrypoint: ["node"],
    Cmd: ["--input-type=module", "-e", spec.source],
    Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
    User: PROXY_USER,
    WorkingDir: "/",
    Labels: spec.labels,
    HostConfig: {
      NetworkMode: spec.outside,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      ReadonlyRootfs: true,
      Init: true,
      ...PROXY_LIMITS,
      MemorySwap: PROXY_LIMITS.Memory,
    },
  });
}

/**
 * Follows the proxy's output: JSON lines on stdout (its decisions), anything on stderr is a crash report.
 * `listening` settles once the proxy listens (or fails when it exits first); `drained` once the output ended.
 */
function readEvents(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  log: Logger,
  onDenied: (decision: EgressDecision) => void,
): { listening: Promise<void>; drained: Promise<void> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  let errorOutput = "";
  stderr.on("data", (chunk: Buffer) => {
    errorOutput = `${errorOutput}${chunk.toString("utf8")}`.slice(-2000);
  });
  let resolveListening!: () => void;
  let rejectListening!: (error: Error) => void;
  const listening = new Promise<void>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  const timer = setTimeout(
    () => rejectListening(new EgressProxyError(`it did not listen within ${READY_TIMEOUT_MS / 1000} s`)),
    READY_TIMEOUT_MS,
  );
  void listening.finally(() => clearTimeout(timer)).catch(() => undefined);
  const logDenial = denialLogger(log);
  forEachLine(stdout, (line) => {
    const event = parseEvent(line);
    if (!event) {
      log.warn({ line: line.slice(0, 500) }, "unexpected output from the egress proxy");
    } else if (event.event === "listening") {
      resolveListening();
    } else if (event.event === "denied") {
      logDenial(event);
      onDenied(event);
    } else if (event.event === "failed") {
      log.info({ decision: event }, "egress proxy could not reach an allowed host");
    } else {
      log.debug({ decision: event }, "egress proxy allowed a request");
    }
  });
  const drained = new Promise<void>((resolve) => {
    let done = false;
    const ended = () => {
      if (done) return;
      done = true;
      rejectListening(
        new EgressProxyError(`it exited before listening${errorOutput ? `: ${errorOutput.trim()}` : ""}`),
      );
      stdout.end();
      resolve();
    };
    stream.once("end", ended);
    stream.once("close", ended);
    stream.once("error", ended);
  });
  return { listening, drained };
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    const lines = `${pending}${chunk.toString("utf8")}`.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line);
  });
  stream.on("end", () => {
    if (pending.trim()) onLine(pending);
  });
}

function parseEvent(line: string): EgressEvent | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === "object" && value !== null && typeof (value as { event?: unknown }).event === "string"
      ? (value as EgressEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

/** What a proxy start has created so far: the container goes first, then the networks (whoever is still on them). */
class ProxyResources {
  readonly #docker: Docker;
  readonly #networkIds: string[] = [];
  container: Docker.Container | undefined;
  drain: Promise<void> | undefined;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async network(options: Docker.NetworkCreateOptions): Promise<{ name: string }> {
    const network = await this.#docker.createNetwork({ Driver: "bridge", CheckDuplicate: true, ...options });
    this.#networkIds.push(network.id);
    return { name: options.Name };
  }

  async remove(log: Logger): Promise<void> {
    const container = this.container;
    this.container = undefined;
    if (container) {
      // Killed first, so that every decision it logged has arrived before it is gone.
      await ignoringStatus(container.kill(), [404, 409]);
      await this.#drained();
    }
    await removeSandboxResources(this.#docker, {
      containers: container ? [container.id] : [],
      networks: this.#networkIds.splice(0),
    });
    log.info("egress proxy removed");
  }

  async #drained(): Promise<void> {
    if (!this.drain) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
}
