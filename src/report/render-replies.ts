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
