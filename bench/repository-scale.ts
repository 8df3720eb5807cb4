// Repository scale for `npm run bench`: the same task on a 15-file repository and on a large one (TASKBOX_BENCH_REPO,
// a local clone, or a generated one of 10,000 files and 10,000 commits), reported as ratios large / small.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runGit } from "../src/git/run-git.js";
import { jobIdForTask } from "../src/queue/task-job.js";
import { appendHistory } from "../test/support/generate-repo.js";
import { OWNER, REPO, startHarness, type Harness } from "../test/support/taskbox-harness.js";

const CACHED_RUNS = 3;
const GENERATED = { files: 10_000, commits: 10_000 };
const CONFIG = "environment:\n  setup: |\n    date +%s%3N > ~/.setup-start\n    date +%s%3N > ~/.setup-end\n";
const FIRST_COMMAND = "date +%s%3N; cat ~/.setup-start ~/.setup-end";

export interface RepositoryMeasures {
  /** Dequeue → first agent command, cache miss, minus the setup script's own time. */
  coldMs: number;
  /** Dequeue → first agent command with a cached environment and a new commit since it, median. */
  cachedMs: number;
  /** Webhook delivery → pull request opened (status final), cached, median. */
  deliveryMs: number;
  /** A plain `git clone --depth 1` of the same repository from the same server. */
  shallowCloneMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The small and the large repository measured in one run, on one Redis and Docker engine. */
export async function measureRepositoryScale(env: {
  REDIS_URL: string;
  TASKBOX_SANDBOX_IMAGE: string;
}): Promise<{ small: RepositoryMeasures; large: RepositoryMeasures; largeName: string }> {
  const smallFiles = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`src/file${i}.txt`, `file ${i}\n`]));
  const small = await measure(env, async (harness) => {
    await harness.github.pushCommit(OWNER, REPO, "main", smallFiles);
  });
  const benchRepo = process.env.TASKBOX_BENCH_REPO;
  const large = await measure(env, async (harness) => {
    const bare = harness.github.repoPath(OWNER, REPO);
    if (benchRepo) await runGit(["push", "--quiet", "--force", bare, "HEAD:refs/heads/main"], { cwd: benchRepo });
    else {
      const from = (await harness.github.commitOf(OWNER, REPO, "main"))!;
      await appendHistory(bare, { ...GENERATED, branch: "main", from });
    }
  });
  const largeName = benchRepo ?? `generated (${GENERATED.files} files, ${GENERATED.commits} commits)`;
  return { small, large, largeName };
}

async function measure(
  env: { REDIS_URL: string; TASKBOX_SANDBOX_IMAGE: string },
  fill: (harness: Harness) => Promise<void>,
): Promise<RepositoryMeasures> {
  const harness = await startHarness({
    files: { "README.md": "# bench\n" },
    script: (request) => {
      const tools = request.messages.filter((m) => m.role === "tool").length;
      if (tools === 0) return { shell: FIRST_COMMAND };
      return tools === 1 ? { shell: "date +%s%N > bench-change.txt" } : { content: "changed" };
    },
    env: { ...env, TASKBOX_STATUS_INTERVAL_MS: "3000" },
  });
  try {
    await fill(harness);
    await harness.github.pushCommit(OWNER, REPO, "main", { ".github/taskbox.yml": CONFIG });
    const shallowCloneMs = await shallowClone(harness);
    let issue = 0;
    const cold = await timedTask(harness, ++issue);
    const cached = [];
    for (let run = 0; run < CACHED_RUNS; run++) {
      await harness.github.pushCommit(OWNER, REPO, "main", { [`upstream-${run}.txt`]: `${run}\n` });
      cached.push(await timedTask(harness, ++issue));
    }
    return {
      coldMs: cold.startMs - cold.setupMs,
      cachedMs: median(cached.map((t) => t.startMs)),
      deliveryMs: median(cached.map((t) => t.deliveryMs)),
      shallowCloneMs,
    };
  } finally {
    await harness.close();
  }
}

async function shallowClone(harness: Harness): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "taskbox-bench-clone-"));
  try {
    const started = performance.now();
    await runGit(["clone", "--quiet", "--depth=1", `${harness.github.url}/${OWNER}/${REPO}.git`, join(dir, "c")], {
      cwd: dir,
      token: harness.github.installationToken,
    });
    return performance.now() - started;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timedTask(
  harness: Harness,
  issueNumber: number,
): Promise<{ startMs: number; setupMs: number; deliveryMs: number }> {
  const before = harness.model.requests.length;
  const sent = performance.now();
  if ((await harness.comment({ body: "/taskbox measure the start", issueNumber })) !== 200)
    throw new Error("webhook refused");
  const status = await harness.finalStatus(issueNumber, 10 * 60_000);
  const deliveryMs = performance.now() - sent;
  if (!status.body.includes("Pull request opened")) throw new Error(`no pull request:\n${status.body}`);
  const taskId = /taskbox:task=([0-9a-f]+)/.exec(status.body)![1]!;
  const dequeuedAt = (await harness.queue.getJob(jobIdForTask(taskId)))?.processedOn;
  const request = harness.model.requests.slice(before).find((r) => r.messages.some((m) => m.role === "tool"))!;
  const output = String(request.messages.find((m) => m.role === "tool")!.content);
  const [commandAt, setupStart, setupEnd] = output.split("\n").slice(1, 4).map(Number);
  if (dequeuedAt === undefined || ![commandAt, setupStart, setupEnd].every(Number.isFinite))
    throw new Error(`unexpected first command output: ${output}`);
  // A cached task's setup times are the snapshot's, from the first task: only a miss subtracts them.
  return { startMs: commandAt! - dequeuedAt, setupMs: setupEnd! - setupStart!, deliveryMs };
}
