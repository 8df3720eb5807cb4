import type Docker from "dockerode";
import type { Logger } from "pino";
import type { TokenUsage } from "../report/token-usage.js";
import { removeSandboxResources } from "./remove-sandbox-resources.js";
import { startGatewayServer, type GatewayServer, type ModelGatewayOptions } from "./model-gateway.js";
import { MANAGED_LABEL, TASK_LABEL } from "./types.js";

/** A task's model gateway as the agent phase sees it. */
export interface ModelGateway {
  /** The per-task credential the agent gets in place of a key; it dies with the gateway. */
  readonly credential: string;
  /** The gateway's own internal network (no route out): with `internet.agent: off` the sandbox's only network. */
  readonly networkName: string;
  /** `http://<relay address>:<port>` on the gateway's own network. */
  readonly url: string;
  usage(): TokenUsage;
  /** Makes the gateway answer on another network too (the egress proxy's, the sandbox's own); its URL there. */
  join(networkName: string): Promise<string>;
  /** Closes the server (the credential dies with it) and removes the relay and its networks; idempotent. */
  stop(): Promise<void>;
}

export type StartModelGatewayOptions = Omit<ModelGatewayOptions, "log" | "upstreams" | "models"> & { taskId: string };

export interface ModelGatewayFactory {
  /** The providers with an upstream (and key) configured. */
  readonly providers: ReadonlyArray<"openai" | "anthropic">;
  start(options: StartModelGatewayOptions): Promise<ModelGateway>;
}

export class ModelGatewayError extends Error {
  constructor(message: string) {
    super(`The model gateway could not start: ${message}`);
    this.name = "ModelGatewayError";
  }
}

const RELAY_PORT = 4000;
const READY_TIMEOUT_MS = 30_000;
const RELAY_LIMITS = { Memory: 128 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 32 };
/**
 * The relay: the only thing on the sandbox's side, it passes TCP through to the gateway server on the host, which
 * holds the keys. It runs on the sandbox image's Node with nothing but Node's own modules.
 */
const RELAY_PROGRAM = `
import { connect, createServer } from "node:net";
const target = { host: process.env.TASKBOX_GATEWAY_HOST, port: Number(process.env.TASKBOX_GATEWAY_PORT) };
createServer((client) => {
  const upstream = connect(target);
  const end = () => { client.destroy(); upstream.destroy(); };
  for (const socket of [client, upstream]) { socket.on("error", end); socket.on("close", end); }
  client.pipe(upstream).pipe(client);
}).listen(${RELAY_PORT}, () => console.log("listening"));
`;

/**
 * Per task: a server on the host (the keys, the budget, the record) that listens only on the gateway address of an
 * internal network of its own, and a relay container on that network and on the gateway's internal network, where
 * the sandbox joins. Both networks are Docker `Internal` (no route out); the sandbox's one has no host address.
 */
export function createDockerModelGatewayFactory(deps: {
  docker: Docker;
  log: Logger;
  /** An image with Node.js 18 or later; the sandbox image has it. */
  image: string;
  labels?: Record<string, string>;
  upstreams: ModelGatewayOptions["upstreams"];
  /** TASKBOX_MODELS */
  models: readonly string[] | undefined;
}): ModelGatewayFactory {
  return {
    providers: (["openai", "anthropic"] as const).filter((provider) => deps.upstreams[provider] !== undefined),
    start: async (options) => {
      const log = deps.log.child({ taskId: options.taskId, component: "model-gateway" });
      const gateway = new DockerModelGateway(deps.docker, options.taskId, {
        ...deps.labels,
        [MANAGED_LABEL]: "true",
        [TASK_LABEL]: options.taskId,
        "taskbox.role": "model-gateway",
      });
      try {
        await gateway.start({ ...options, upstreams: deps.upstreams, models: deps.models, log }, deps.image);
        log.info({ url: gateway.url }, "model gateway started");
        return gateway;
      } catch (error) {
        await gateway.stop().catch((cleanup: unknown) => log.warn({ err: cleanup }, "could not clean up the gateway"));
        throw error instanceof ModelGatewayError
          ? error
          : new ModelGatewayError(error instanceof Error ? error.message : String(error));
      }
    },
  };
}

class DockerModelGateway implements ModelGateway {
  readonly #docker: Docker;
  readonly #labels: Record<string, string>;
  readonly #name: string;
  readonly #hostNetwork: string;
  #server: GatewayServer | undefined;
  #container: Docker.Container | undefined;
  url = "";

  constructor(docker: Docker, taskId: string, labels: Record<string, string>) {
    this.#docker = docker;
    this.#labels = labels;
    this.#name = `taskbox-${taskId}-gateway`;
    this.#hostNetwork = `taskbox-${taskId}-gateway-host`;
  }

  get networkName(): string {
    return this.#name;
  }

  get credential(): string {
    return this.#server?.credential ?? "";
  }

  usage(): TokenUsage {
    return this.#server?.usage() ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  }

  async start(options: ModelGatewayOptions, image: string): Promise<void> {
    // Only one attempt of a task runs at a time, so anything under these names is a leftover of one that crashed.
    await this.#removeDocker();
    const network = (spec: Partial<Docker.NetworkCreateOptions>) =>
      this.#docker.createNetwork({
        Driver: "bridge",
        CheckDuplicate: true,
        Internal: true,
        Labels: this.#labels,
        ...spec,
      } as Docker.NetworkCreateOptions);
    const host = await network({ Name: this.#hostNetwork });
    await network({ Name: this.#name, Options: { "com.docker.network.bridge.inhibit_ipv4": "true" } });
    const hostAddress = (await host.inspect()).IPAM?.Config?.[0]?.Gateway;
    if (!hostAddress) throw new ModelGatewayError(`the network ${this.#hostNetwork} has no gateway address`);
    this.#server = await startGatewayServer(options, hostAddress);
    this.#container = await this.#docker.createContainer({
      name: this.#name,
      Image: image,
      Entrypoint: ["node"],
      Cmd: ["--input-type=module", "-e", RELAY_PROGRAM],
      Env: [`TASKBOX_GATEWAY_HOST=${hostAddress}`, `TASKBOX_GATEWAY_PORT=${this.#server.port}`],
      User: "65534:65534",
      WorkingDir: "/",
      Labels: this.#labels,
      HostConfig: {
        NetworkMode: this.#hostNetwork,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        ReadonlyRootfs: true,
        Init: true,
        ...RELAY_LIMITS,
        MemorySwap: RELAY_LIMITS.Memory,
      },
    });
    await this.#docker.getNetwork(this.#name).connect({ Container: this.#container.id });
    await this.#container.start();
    await listening(this.#container);
    this.url = await this.#addressOn(this.#name);
  }

  async join(networkName: string): Promise<string> {
    if (!this.#container) throw new ModelGatewayError("the gateway is stopped");
    await this.#docker.getNetwork(networkName).connect({ Container: this.#container.id });
    return this.#addressOn(networkName);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
    await this.#removeDocker();
  }

  async #addressOn(networkName: string): Promise<string> {
    const info = await this.#container!.inspect();
    const address = info.NetworkSettings.Networks[networkName]?.IPAddress;
    if (!address) throw new ModelGatewayError(`the relay has no address on ${networkName}`);
    return `http://${address}:${RELAY_PORT}`;
  }

  async #removeDocker(): Promise<void> {
    this.#container = undefined;
    await removeSandboxResources(this.#docker, { containers: [this.#name], networks: [this.#name, this.#hostNetwork] });
  }
}

/** Resolves once the relay printed that it listens; fails when it exits first or takes too long. */
async function listening(container: Docker.Container): Promise<void> {
  const stream = await container.logs({ follow: true, stdout: true, stderr: true });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new ModelGatewayError("the relay did not listen in time")), READY_TIMEOUT_MS);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      if (error) reject(error);
      else resolve();
    };
    stream.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("listening")) finish();
    });
    stream.once("end", () => finish(new ModelGatewayError(`the relay exited: ${output.slice(-500)}`)));
  });
}
