export const DEFAULT_COMMAND = "/taskbox";

export type ParsedCommand =
  | { kind: "none" }
  | { kind: "usage" } // the command word with nothing to do
  | { kind: "subcommand"; name: string }
  | { kind: "task"; request: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A comment is a command when its first line starts with the command word followed by whitespace or the end
 * of the line; everything after the word, later lines included, is the request. A request that is exactly one
 * of `subcommands` (such as `/taskbox help`) names that subcommand instead.
 */
export function parseCommand(body: string, command = DEFAULT_COMMAND, subcommands: Iterable<string> = []): ParsedCommand {
  const match = new RegExp(`^${escapeRegExp(command)}(?:[ \\t]+|(?=\\r?\\n)|$)`).exec(body);
  if (!match) return { kind: "none" };
  const request = body.slice(match[0].length).trim();
  if (!request) return { kind: "usage" };
  const word = request.toLowerCase();
  if (new Set(subcommands).has(word)) return { kind: "subcommand", name: word };
  return { kind: "task", request };
}
