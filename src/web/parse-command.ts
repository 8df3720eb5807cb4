import { DEFAULT_TRIGGER_COMMAND } from "../config/schema.js";

export const DEFAULT_COMMAND = DEFAULT_TRIGGER_COMMAND;

export type ParsedCommand =
  | { kind: "none" }
  | { kind: "usage" } // the command word with nothing to do
  | { kind: "subcommand"; name: string }
  | { kind: "unknown"; word: string } // one word that names no subcommand: most likely a typo
  | { kind: "task"; request: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Whether a comment could be a command under any configured command word, which all start with `/` or `@`. */
export function mayBeCommand(body: string): boolean {
  return body.startsWith("/") || body.startsWith("@");
}

/**
 * A comment is a command when its first line starts with the command word followed by whitespace or the end
 * of the line; everything after the word, later lines included, is the request. A request of exactly one word
 * is a subcommand (`/taskbox help`), or an unknown one: a task needs more than one word, so a mistyped
 * `/taskbox cancle` gets a helpful reply instead of starting a task.
 */
export function parseCommand(
  body: string,
  command = DEFAULT_COMMAND,
  subcommands: Iterable<string> = [],
): ParsedCommand {
  const match = new RegExp(`^${escapeRegExp(command)}(?:[ \\t]+|(?=\\r?\\n)|$)`).exec(body);
  if (!match) return { kind: "none" };
  const request = body.slice(match[0].length).trim();
  if (!request) return { kind: "usage" };
  if (/\s/.test(request)) return { kind: "task", request };
  const word = request.toLowerCase();
  if (new Set(subcommands).has(word)) return { kind: "subcommand", name: word };
  return { kind: "unknown", word: request };
}
