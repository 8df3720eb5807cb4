// `npm run bench`: how fast Taskbox brings up a task's environment, against the floor of the local Docker engine.
// It runs the whole app (webhook, BullMQ on a real Redis, the worker on the real Docker engine) with a local fake of
// GitHub and a scripted model, prints one table and writes it as JSON to bench/results/. Per agent runner it also
// measures the start of the runner's first model request against the builtin loop's (bench/runner-start.ts).
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import pino from "pino";
import type { TestProject } from "vitest/node";
import { formatShellResult } from "../src/agent/shell-tool.js";
import { jobIdForTask } from "../src/queue/task-job.js";
import { createDockerSandboxFactory } from "../src/sandbox/docker-sandbox.js";
import setupServices from "../test/support/global-setup.js";
import { measureRepositoryScale } from "./repository-scale.js";
import { measureRunnerStarts, RUNNERS } from "./runner-start.js";
import { OWNER, REPO, startHarness, type Harness } from "../test/support/taskbox-harness.js";
import { measureWebhookAnswer } from "./webhook-answer.js";

const WARM_RUNS = 10;
const COLD_RUNS = 5;
const SHELL_RUNS = 40;
const TARGETS = {
  warmRatio: 1.5,
  warmMs: 1500,
  coldOverheadMs: 3000,
  shellRatio: 1.2,
  webhookP99Ms: 100,
  scaleRatio: 1.5,
};

const docker = new Docker();
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** A trivial setup script that records when it started and ended, so its own duration can be taken out. */
function config(run: string): string {
  return [
    "environment:",
    "  setup: |",
    "    date +%s%3N > ~/.setup-start",
    "    echo ready",
    "    date +%s%3N > ~/.setup-end",
    `  env: { RUN: "${run}" }`,
    "",
  ].join("\n");
}

/** The first agent command prints the time it runs at and the setup script's own times. */
const FIRST_COMMAND = "date +%s%3N; cat ~/.setup-start ~/.setup-end";
// The same work without the files only a prepared environment has.
const FLOOR_COMMAND = "date +%s%3N; cat /etc/hostname /etc/hostname";

interface TaskTiming {
  /** Job taken by the worker → first agent command running. */
  startMs: number;
  setupMs: number;
}

async function runTask(harness: Harness, issueNumber: number): Promise<TaskTiming> {
  const before = harness.model.requests.length;
  if ((await harness.comment({ body: "/taskbox measure the start", issueNumber })) !== 200)
    throw new Error("the webhook was refused");
  const status = await harness.finalStatus(issueNumber);
  if (!status.body.includes("Answered")) throw new Error(`the task did not answer:\n${status.body}`);
  const taskId = /taskbox:task=([0-9a-f]+)/.exec(status.body)![1]!;
  const job = await harness.queue.getJob(jobIdForTask(taskId));
  const dequeuedAt = job?.processedOn;
  if (dequeuedAt === undefined) throw new Error(`no processedOn for task ${taskId}`);
  const request = harness.model.requests.slice(before).find((r) => r.messages.some((m) => m.role === "tool"));
  const output = String(request!.messages.find((m) => m.role === "tool")!.content);
  const [commandAt, setupStart, setupEnd] = output.split("\n").slice(1, 4).map(Number);
  if (![commandAt, setupStart, setupEnd].every(Number.isFinite))
    throw new Error(`unexpected first command output: ${output}`);
  return { startMs: commandAt! - dequeuedAt, setupMs: setupEnd! - setupStart! };
}

/**
 * Plain `docker create` + `start` + one `exec`, through dockerode: what no sandbox can beat on this engine. The exec
 * runs the command the agent's first turn runs, the same way (`bash -lc`), so the ratio measures Taskbox, not bash.
 */
async function floorRun(image: string): Promise<number> {
  const started = performance.now();
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["sleep", "infinity"],
    Labels: { "taskbox.test": "true" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    await rawExec(container, ["bash", "-lc", FLOOR_COMMAND]);
    return performance.now() - started;
  } finally {
    await container.remove({ force: true });
  }
}

async function rawExec(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve, reject) => stream.on("end", resolve).on("error", reject));
  if ((await exec.inspect()).ExitCode !== 0) throw new Error(`${cmd.join(" ")} failed`);
}

/** The agent's shell tool (sandbox exec plus formatting the result) against a raw exec of the same command. */
async function shellOverhead(image: string): Promise<{ toolMs: number; rawMs: number }> {
  const factory = createDockerSandboxFactory({ docker, log: pino({ level: "silent" }) });
  const sandbox = await factory.create({
    taskId: "bench-shell",
    image,
    limits: { memoryBytes: 1024 ** 3, nanoCpus: 1e9, pidsLimit: 256 },
    network: false,
  });
  try {
    const container = docker.getContainer(sandbox.containerId);
    const command = "ls /workspace";
    const tool: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < SHELL_RUNS; i++) {
      let started = performance.now();
      const run = await sandbox.exec({ command, timeoutMs: 60_000, maxOutputBytes: 1024 * 1024 });
      formatShellResult(run, (text) => text, 16_000);
      tool.push(performance.now() - started);
      started = performance.now();
      await rawExec(container, ["bash", "-lc", command]);
      raw.push(performance.now() - started);
    }
    return { toolMs: median(tool), rawMs: median(raw) };
  } finally {
    await sandbox.remove();
  }
}

async function main(): Promise<void> {
  const provided: Record<string, string> = {};
  const stopServices = await setupServices({
    provide: (key: string, value: string) => void (provided[key] = value),
  } as unknown as TestProject);
  const image = provided.sandboxImage!;
  const webhook = await measureWebhookAnswer(provided.redisUrl!);
  console.log(
    `webhook answer with ${webhook.queuedTasks} tasks queued, GitHub answering after ${webhook.githubDelayMs} ms: ` +
      `p50 ${webhook.p50Ms} ms, p99 ${webhook.p99Ms} ms (goal p99 < ${TARGETS.webhookP99Ms} ms); ` +
      `${webhook.intakeStepsDone} intake steps done meanwhile, load ${webhook.loadAverage}`,
  );
  if (process.argv.includes("--webhook-only")) {
    await stopServices();
    return;
  }
  const harness = await startHarness({
    files: { "README.md": "# bench\n", ".github/taskbox.yml": config("warm") },
    script: (request) =>
      request.messages.some((m) => m.role === "tool") ? { content: "measured" } : { shell: FIRST_COMMAND },
    // Status comments are throttled as in production, so their edits do not crowd the measurement.
    env: { REDIS_URL: provided.redisUrl!, TASKBOX_SANDBOX_IMAGE: image, TASKBOX_STATUS_INTERVAL_MS: "3000" },
  });
  try {
    let issue = 0;
    await runTask(harness, ++issue); // fills the cache
    // Interleaved, so that load from elsewhere on the machine weighs on both alike.
    const floor: number[] = [];
    const warm: TaskTiming[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      floor.push(await floorRun(image));
      warm.push(await runTask(harness, ++issue));
    }

    const runnerStarts = await measureRunnerStarts(harness, config("warm"), () => ++issue);

    const cold: TaskTiming[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      // Another env value is another cache key: every run is a miss.
      await harness.github.createRepo(OWNER, REPO, {
        "README.md": "# bench\n",
        ".github/taskbox.yml": config(`cold-${i}`),
      });
      cold.push(await runTask(harness, ++issue));
    }
    const shell = await shellOverhead(image);
    const scale = await measureRepositoryScale({ REDIS_URL: provided.redisUrl!, TASKBOX_SANDBOX_IMAGE: image });

    const floorMs = median(floor);
    const warmMs = median(warm.map((t) => t.startMs));
    const coldOverheadMs = median(cold.map((t) => t.startMs - t.setupMs));
    const results = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memoryGiB: round(totalmem() / 1024 ** 3, 1),
        node: process.version,
        docker: (await docker.version()).Version,
        // Other work on the machine shows in every figure; the 1-minute load average says how much there was.
        loadAverage: round(loadavg()[0]!, 2),
      },
      runs: { floor: WARM_RUNS, warm: WARM_RUNS, cold: COLD_RUNS, shell: SHELL_RUNS },
      floorMs: round(floorMs),
      warm: {
        medianMs: round(warmMs),
        ratioToFloor: round(warmMs / floorMs, 2),
        allMs: warm.map((t) => round(t.startMs)),
      },
      cold: {
        medianOverheadMs: round(coldOverheadMs),
        medianStartMs: round(median(cold.map((t) => t.startMs))),
        allOverheadMs: cold.map((t) => round(t.startMs - t.setupMs)),
      },
      webhook,
      runnerStarts,
      shell: {
        toolMs: round(shell.toolMs, 1),
        rawExecMs: round(shell.rawMs, 1),
        ratio: round(shell.toolMs / shell.rawMs, 2),
      },
      repositoryScale: {
        large: scale.largeName,
        smallMs: scale.small,
        largeMs: scale.large,
        cachedRatio: round(scale.large.cachedMs / scale.small.cachedMs, 2),
        // The large cold start against a plain shallow clone of it plus what a cold start costs anyway (small repo).
        coldRatio: round(scale.large.coldMs / (scale.large.shallowCloneMs + scale.small.coldMs), 2),
        deliveryRatio: round(scale.large.deliveryMs / scale.small.deliveryMs, 2),
      },
    };
    const { repositoryScale: rs } = results;
    const met = (ratio: number) => (ratio <= TARGETS.scaleRatio ? "met" : "MISSED");
    const rows: Array<[string, string, string, string]> = [
      [
        `webhook answer, ${webhook.queuedTasks} tasks queued, GitHub +${webhook.githubDelayMs} ms`,
        `p50 ${webhook.p50Ms} ms, p99 ${webhook.p99Ms} ms`,
        "",
        `p99 < ${TARGETS.webhookP99Ms} ms: ${webhook.p99Ms < TARGETS.webhookP99Ms ? "met" : "MISSED"}`,
      ],
      ["floor: docker create + start + exec (bash -lc)", `${results.floorMs} ms`, "", ""],
      [
        "warm start (cache hit), median",
        `${results.warm.medianMs} ms`,
        `${results.warm.ratioToFloor}x floor`,
        `<= ${TARGETS.warmRatio}x and < ${TARGETS.warmMs} ms: ${results.warm.ratioToFloor <= TARGETS.warmRatio && results.warm.medianMs < TARGETS.warmMs ? "met" : "MISSED"}`,
      ],
      [
        "cold start overhead (miss, minus setup), median",
        `${results.cold.medianOverheadMs} ms`,
        "",
        `< ${TARGETS.coldOverheadMs} ms: ${results.cold.medianOverheadMs < TARGETS.coldOverheadMs ? "met" : "MISSED"}`,
      ],
      [
        "shell tool vs raw docker exec, median",
        `${results.shell.toolMs} vs ${results.shell.rawExecMs} ms`,
        `${results.shell.ratio}x`,
        `<= ${TARGETS.shellRatio}x: ${results.shell.ratio <= TARGETS.shellRatio ? "met" : "MISSED"}`,
      ],
      [
        "large repo: cached dequeue -> first command",
        `${round(rs.largeMs.cachedMs)} vs ${round(rs.smallMs.cachedMs)} ms`,
        `${rs.cachedRatio}x small`,
        `<= ${TARGETS.scaleRatio}x: ${met(rs.cachedRatio)}`,
      ],
      [
        "large repo: cold start minus setup",
        `${round(rs.largeMs.coldMs)} ms`,
        `${rs.coldRatio}x (clone --depth 1 ${round(rs.largeMs.shallowCloneMs)} ms + small cold ${round(rs.smallMs.coldMs)} ms)`,
        `<= ${TARGETS.scaleRatio}x: ${met(rs.coldRatio)}`,
      ],
      [
        "large repo: delivery -> pull request, cached",
        `${round(rs.largeMs.deliveryMs)} vs ${round(rs.smallMs.deliveryMs)} ms`,
        `${rs.deliveryRatio}x small`,
        "",
      ],
    ];
    for (const runner of RUNNERS.filter((name) => name !== "builtin")) {
      rows.push([
        `${runner}: dequeue → first model request, median`,
        `${runnerStarts[runner].medianMs} ms`,
        `${runnerStarts[runner].ratioToBuiltin}x builtin (${runnerStarts.builtin.medianMs} ms)`,
        "",
      ]);
    }
    const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 6));
    const { machine } = results;
    console.log(
      `Taskbox bench, ${results.date}, ${machine.cpus} CPUs (${machine.cpuModel}), Docker ${machine.docker}, load ${machine.loadAverage}`,
    );
    for (const row of [["measure", "value", "ratio", "target"] as const, ...rows])
      console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | "));
    const dir = join(import.meta.dirname, "results");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `bench-${results.date.replace(/[:.]/g, "-")}.json`);
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`written to ${file}`);
  } finally {
    await harness.close();
    await stopServices();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
