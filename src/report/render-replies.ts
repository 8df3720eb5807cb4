import { quoteUntrusted } from "./render-status.js";

const ERROR_BUDGET = 20_000;

export function renderPermissionRefusal(input: { login: string; permission: string }): string {
  return `@${input.login}, only collaborators with write, maintain or admin permission can run Taskbox tasks (you have ${input.permission}).`;
}

/**
 * The docs link is written out rather than linked: a relative link in a comment resolves against the repository the
 * issue lives in, not against Taskbox.
 */
export function renderConfigError(input: { error: string }): string {
  return [
    "**Taskbox could not start: the configuration is invalid.**",
    quoteUntrusted(input.error, ERROR_BUDGET),
    "Fix the configuration and comment again. Every option is described in the Taskbox configuration reference (`docs/configuration.md`).",
  ].join("\n\n");
}

export function renderUsage(command: string): string {
  return [
    `Usage: \`${command} <what to do>\`, for example \`${command} add a --verbose flag to the CLI\`.`,
    "Taskbox runs the request in a sandbox and answers with a pull request, or with a reply when nothing needs to change.",
  ].join("\n\n");
}

const SUBCOMMAND_HELP: Record<string, string> = {
  help: "this help",
  status: "the current and recent tasks of this issue or pull request",
  cancel: "stop this thread's queued or running tasks; nothing is pushed",
  retry: "run this thread's last task again with the same request, on the current head",
  env: "prepare the environment only (setup, or the cached environment and maintenance) and report how it went, without the agent",
  "reset-cache": "drop this repository's cached environments; the next task runs setup from scratch",
};

export function renderHelp(command: string, subcommands: string[], label?: string): string {
  const lines = subcommands.map((name) => `- \`${command} ${name}\`: ${SUBCOMMAND_HELP[name] ?? ""}`.trimEnd());
  const shownLabel = label?.replace(/`/g, "");
  const labelLines = shownLabel
    ? [
        `- label \`${shownLabel}\` on an issue: a task whose request is the issue (and, labelled again, the comments since the last task)`,
        `- label \`${shownLabel}\` on a pull request: address its open review comments and the comments since the last task`,
      ]
    : [];
  return [
    "**Taskbox commands** (for collaborators with write access):",
    [
      `- \`${command} <what to do>\`: run a task in a sandbox; the answer is a pull request or a reply. On a pull request, the change becomes a new commit on its branch`,
      ...lines,
      ...labelLines,
    ].join("\n"),
    "One task runs per issue or pull request at a time; a new request waits for the running one and builds on its result.",
    "The repository configures its environment in `.github/taskbox.yml`; every option is described in the Taskbox configuration reference (`docs/configuration.md`).",
  ].join("\n\n");
}

export const FORK_REFUSAL =
  "Taskbox does not work on pull requests from forks: it cannot push to a fork, and a fork's code must not run with " +
  "this repository's secrets.";
