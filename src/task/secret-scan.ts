import { base64Forms } from "../report/redact.js";
import type { Sandbox } from "../sandbox/types.js";
import { TaskFailure } from "./task-failure.js";

/** Shorter values would match by chance in binaries; they are left to redaction. */
const MIN_SCANNED_LENGTH = 8;
const MAX_LISTED_FILES = 10;

/** The byte strings a secret's value shows up as in a file: raw, base64, hex (both cases) and URL-encoded. */
export function secretNeedles(values: Iterable<string>): Buffer[] {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length < MIN_SCANNED_LENGTH) continue;
    const hex = Buffer.from(value, "utf8").toString("hex");
    for (const form of [value, ...base64Forms(value), hex, hex.toUpperCase(), encodeURIComponent(value)]) {
      if (form.length >= MIN_SCANNED_LENGTH) needles.add(form);
    }
  }
  return [...needles].map((needle) => Buffer.from(needle, "utf8"));
}

/** Whether a streamed file holds any needle, also across chunk boundaries. */
export async function containsAny(content: AsyncIterable<Buffer>, needles: Buffer[]): Promise<boolean> {
  const overlap = Math.max(0, ...needles.map((needle) => needle.length)) - 1;
  let tail = Buffer.alloc(0);
  let found = false;
  for await (const chunk of content) {
    if (found) continue; // read to the end all the same, so the next file can follow
    const window = Buffer.concat([tail, chunk]);
    found = needles.some((needle) => window.includes(needle));
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return found;
}

/**
 * Fails setup when a file that setup or maintenance wrote holds a secret's value, before the environment is cached or
 * handed to the agent, whose commands could read it (redaction cannot catch every encoding). The files the operator
 * listed in TASKBOX_SCRUB_FILES are deleted first.
 */
export async function checkNoSecretsLeft(
  sandbox: Sandbox,
  options: { secrets: Record<string, string>; scrubFiles: readonly string[]; what: string },
): Promise<void> {
  const needles = secretNeedles(Object.values(options.secrets));
  if (needles.length === 0) return;
  if (options.scrubFiles.length > 0) await scrub(sandbox, options.scrubFiles);
  const holding: string[] = [];
  const { unreadable } = await sandbox.readFiles(await sandbox.changedPaths(), async (path, content) => {
    if (await containsAny(content, needles)) holding.push(path);
  });
  if (unreadable.length > 0) {
    // The agent runs as the sandbox user, who may own such a file and make it readable again.
    throw new TaskFailure(
      "setup",
      `${options.what} left files that cannot be checked for secrets: ${listFiles(unreadable)}; make them readable by the sandbox user, or remove them.`,
    );
  }
  if (holding.length === 0) return;
  throw new TaskFailure(
    "setup",
    `${options.what} left the value of a secret in ${listFiles(holding)}, where the agent's commands could read it. ` +
      "Have tools read secrets from the environment at install time instead of writing them to files " +
      "(npm and pip expand `${NAME}` in `.npmrc` and `pip.conf` from the environment: write that text, not the value), " +
      "or ask the operator to list such files in TASKBOX_SCRUB_FILES, which Taskbox deletes before the scan.",
  );
}

/** As the sandbox user, who owns what setup wrote: a path that setup made a link into the system reaches nothing. */
async function scrub(sandbox: Sandbox, paths: readonly string[]): Promise<void> {
  const result = await sandbox.exec({
    command: `/bin/rm -rf --one-file-system -- ${paths.map(shellQuote).join(" ")}`,
    timeoutMs: 60_000,
    maxOutputBytes: 16 * 1024,
  });
  if (result.exitCode !== 0) {
    throw new TaskFailure(
      "setup",
      `could not delete TASKBOX_SCRUB_FILES (exit code ${result.exitCode})`,
      result.output.toString("utf8"),
    );
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function listFiles(paths: string[]): string {
  const listed = paths.slice(0, MAX_LISTED_FILES).map((path) => `\`${path}\``);
  const more = paths.length > MAX_LISTED_FILES ? ` and ${paths.length - MAX_LISTED_FILES} more` : "";
  return `${listed.join(", ")}${more}`;
}
