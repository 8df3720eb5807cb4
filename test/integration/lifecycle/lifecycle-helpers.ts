import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkoutRef } from "../../../src/git/checkout.js";
import { runGit } from "../../../src/git/run-git.js";
import type { ChatRequestBody, ScriptedReply } from "../../support/fake-model.js";
import { OWNER, REPO, type Harness } from "../../support/taskbox-harness.js";

export type TaskScript = (turn: number, request: ChatRequestBody) => ScriptedReply;

/** The task prompt of a model request: the first user message. */
export function taskPrompt(request: ChatRequestBody): string {
  return String(request.messages.find((message) => message.role === "user")?.content ?? "");
}

/** The request section at the end of a task prompt; earlier sections may quote other tasks' requests. */
export function requestSection(request: ChatRequestBody): string {
  const prompt = taskPrompt(request);
  return prompt.slice(prompt.lastIndexOf("## Request from"));
}

/**
 * One fake model serves every task of a harness: each task is scripted by a marker its request contains, and sees
 * its own turns counted from 0.
 */
export function scriptByTask(scripts: Array<[marker: string, script: TaskScript]>) {
  return (request: ChatRequestBody): ScriptedReply => {
    const section = requestSection(request);
    const match = scripts.find(([marker]) => section.includes(marker));
    if (!match) return { content: "No script for this task." };
    const turn = request.messages.filter((message) => message.role === "assistant").length;
    return match[1](turn, request);
  };
}

/** The prompt the model was sent for the task whose request contains `marker`. */
export function promptOf(harness: Harness, marker: string): string {
  const request = harness.model.requests.find((candidate) => requestSection(candidate).includes(marker));
  if (!request) throw new Error(`the model never saw a task with ${JSON.stringify(marker)}`);
  return taskPrompt(request);
}

/** The tool results the model was sent for one task, in order. */
export function toolResultsOf(harness: Harness, marker: string): string[] {
  const requests = harness.model.requests.filter((candidate) => requestSection(candidate).includes(marker));
  return (requests.at(-1)?.messages ?? [])
    .filter((message) => message.role === "tool")
    .map((message) => String(message.content));
}

/** The head commit of a branch on the fake GitHub with its parents, as `git log` shows them. */
export async function headCommit(
  harness: Harness,
  branch: string,
): Promise<{ sha: string; parents: string[]; subject: string; author: string }> {
  const dir = await mkdtemp(join(tmpdir(), "lifecycle-clone-"));
  try {
    const token = harness.github.installationToken;
    await checkoutRef({ dir, remoteUrl: `${harness.github.url}/${OWNER}/${REPO}.git`, token, ref: branch });
    await runGit(["fetch", "--quiet", "--deepen=1", "origin", `refs/heads/${branch}`], { cwd: dir, token });
    const [sha, parents, subject, author] = (
      await runGit(["log", "-1", "--format=%H%x00%P%x00%s%x00%an"], { cwd: dir })
    ).stdout
      .toString()
      .trim()
      .split("\0") as [string, string, string, string];
    return { sha, parents: parents.split(" ").filter(Boolean), subject, author };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function taskIdOf(body: string): string {
  const taskId = /taskbox:task=([0-9a-f]+)/.exec(body)?.[1];
  if (!taskId) throw new Error(`not a status comment: ${body.slice(0, 80)}`);
  return taskId;
}
