// Part of `npm run bench`: per agent runner, the time from dequeue to the runner's first model request on a cached
// environment, as a ratio to the builtin loop's in the same run (interleaved, so machine load weighs on all alike).
import { jobIdForTask } from "../src/queue/task-job.js";
import { OWNER, REPO, type Harness } from "../test/support/taskbox-harness.js";

export const RUNNERS = ["builtin", "codex", "claude-code"] as const;
const ROUNDS = 3;

export interface RunnerStart {
  medianMs: number;
  ratioToBuiltin: number;
  allMs: number[];
}

/** `config` is the bench's repository config (its setup is cached already); each runner gets the same one. */
export async function measureRunnerStarts(
  harness: Harness,
  config: string,
  nextIssue: () => number,
): Promise<Record<(typeof RUNNERS)[number], RunnerStart>> {
  const times = new Map<string, number[]>(RUNNERS.map((runner) => [runner, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const runner of RUNNERS) {
      await harness.github.createRepo(OWNER, REPO, {
        "README.md": "# bench\n",
        ".github/taskbox.yml": `${config}agent:\n  runner: ${runner}\n`,
      });
      times.get(runner)!.push(await firstRequestMs(harness, nextIssue()));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const builtin = median(times.get("builtin")!);
  return Object.fromEntries(
    RUNNERS.map((runner) => {
      const all = times.get(runner)!;
      return [
        runner,
        { medianMs: median(all), ratioToBuiltin: Number((median(all) / builtin).toFixed(2)), allMs: all },
      ];
    }),
  ) as Record<(typeof RUNNERS)[number], RunnerStart>;
}

async function firstRequestMs(harness: Harness, issueNumber: number): Promise<number> {
  const before = harness.model.calls.length;
  if ((await harness.comment({ body: "/taskbox measure the start", issueNumber })) !== 200)
    throw new Error("the webhook was refused");
  const status = await harness.finalStatus(issueNumber, 180_000);
  const taskId = /taskbox:task=([0-9a-f]+)/.exec(status.body)![1]!;
  if (!/cache hit/.test(status.body)) throw new Error(`the runner bench needs a cached environment:\n${status.body}`);
  const dequeuedAt = (await harness.queue.getJob(jobIdForTask(taskId)))?.processedOn;
  const first = harness.model.calls[before];
  if (dequeuedAt === undefined || !first) throw new Error(`no dequeue time or model request for task ${taskId}`);
  return first.at - dequeuedAt;
}
