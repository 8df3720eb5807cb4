import { quoteUntrusted } from "./render-status.js";

const ERROR_BUDGET = 20_000;

export function renderPermissionRefusal(input: { login: string; permission: string }): string {
  return `@${input.login}, only collaborators with write, maintain or admin permission can run Taskbox tasks (you have ${input.permission}).`;
}

/**
 * The README link is written out rather than linked: a relative link in a comment resolves against the repository the
 * issue lives in, not against Taskbox.
 */
export function renderConfigError(input: { error: string }): string {
  return [
    "**Taskbox could not start: the configuration is invalid.**",
    quoteUntrusted(input.error, ERROR_BUDGET),
    "Fix the configuration and comment again. Every option is described in the Configuration section of the Taskbox README (`README.md#configuration`).",
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
};

export function renderHelp(command: string, subcommands: string[]): string {
  const lines = subcommands.map((name) => `- \`${command} ${name}\`: ${SUBCOMMAND_HELP[name] ?? ""}`.trimEnd());
  return [
    "**Taskbox commands** (for collaborators with write access):",
    [`- \`${command} <what to do>\`: run a task in a sandbox; the answer is a pull request or a reply`, ...lines].join("\n"),
    "The repository configures its environment in `.github/taskbox.yml`; every option is described in the Configuration section of the Taskbox README (`README.md#configuration`).",
  ].join("\n\n");
}
