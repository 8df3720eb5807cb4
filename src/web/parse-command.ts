export const DEFAULT_COMMAND = "/taskbox";

export type ParsedCommand =
  | { kind: "none" }
  | { kind: "usage" } // the command word with nothing to do
  | { kind: "task"; request: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A comment is a command when its first line starts with the command word followed by whitespace or the end
 * of the line; everything after the word, later lines included, is the request.
 */
export function parseCommand(body: string, command = DEFAULT_COMMAND): ParsedCommand {
  const match = new RegExp(`^${escapeRegExp(command)}(?:[ \\t]+|(?=\\r?\\n)|$)`).exec(body);
  if (!match) return { kind: "none" };
  const request = body.slice(match[0].length).trim();
  return request ? { kind: "task", request } : { kind: "usage" };
}
