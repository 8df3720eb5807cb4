/** The last `count` lines of a command's output: the part of a log that usually says why it failed. */
export function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-count).join("\n");
}
