import type { ExecRequest, ExecResult, Sandbox } from "../../src/sandbox/types.js";
import type { ImageFacts, ListedImage, SnapshotImages } from "../../src/sandbox/snapshot-images.js";

/** A sandbox that records what was done to it; exec answers with `answer` (exit 0 and no output by default). */
export interface FakeSandbox extends Sandbox {
  events: string[];
  execs: ExecRequest[];
  snapshots: Array<{ tag: string; labels: Record<string, string> }>;
}

export function fakeSandbox(
  answer: (request: ExecRequest) => Partial<ExecResult> = () => ({}),
  options: { snapshot?: () => Promise<string> } = {},
): FakeSandbox {
  const events: string[] = [];
  const execs: ExecRequest[] = [];
  const snapshots: FakeSandbox["snapshots"] = [];
  return {
    containerId: "fake-container",
    networkName: undefined,
    events,
    execs,
    snapshots,
    async exec(request) {
      execs.push(request);
      events.push(`exec ${request.command.trim().split("\n")[0] ?? ""}`);
      return {
        exitCode: 0,
        output: Buffer.alloc(0),
        omittedBytes: 0,
        timedOut: false,
        durationMs: 1,
        ...answer(request),
      };
    },
    async copyIn(hostDir) {
      events.push(`copyIn ${hostDir}`);
    },
    async disconnectNetwork() {
      events.push("disconnectNetwork");
    },
    async setNetwork(access) {
      events.push(`setNetwork ${access.mode}`);
    },
    async snapshot(request) {
      snapshots.push(request);
      events.push(`snapshot ${request.tag}`);
      return options.snapshot ? options.snapshot() : "sha256:snapshot";
    },
    async remove() {
      events.push("remove");
    },
  };
}

/** An engine's images in memory: `inUse` ids refuse removal as Docker does (409). */
export interface FakeImages extends SnapshotImages {
  images: Map<string, ListedImage>;
  inUse: Set<string>;
  removed: string[];
}

export function fakeImages(initial: Array<ImageFacts & { tags?: string[] }> = []): FakeImages {
  const images = new Map<string, ListedImage>(initial.map((image) => [image.id, { tags: [], ...image }]));
  const inUse = new Set<string>();
  const removed: string[] = [];
  const matches = (image: ListedImage, filter: string) => {
    const [name = "", value] = filter.split("=", 2);
    return value === undefined ? name in image.labels : image.labels[name] === value;
  };
  return {
    images,
    inUse,
    removed,
    async inspect(reference) {
      const image = images.get(reference) ?? [...images.values()].find((item) => item.tags.includes(reference));
      return image && { id: image.id, labels: image.labels, size: image.size };
    },
    async list(labels) {
      return [...images.values()].filter((image) => labels.every((filter) => matches(image, filter)));
    },
    async remove(id) {
      if (inUse.has(id)) return false;
      if (images.delete(id)) removed.push(id);
      return true;
    },
    async engineId() {
      return "fake-engine";
    },
  };
}
