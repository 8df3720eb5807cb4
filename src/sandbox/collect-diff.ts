import { randomUUID } from "node:crypto";
import type { Sandbox } from "./types.js";

const COLLECT_TIMEOUT_MS = 5 * 60_000;
const COMMIT_ID_PATTERN = /^[0-9a-f]{4,64}$/i;
/** Room for what a login shell prints before our command runs, plus the status line and git's error text. */
const OUTPUT_SLACK_BYTES = 64 * 1024;

export class DiffTooLargeError extends Error {
  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(`The change is ${sizeBytes} bytes as a patch, more than the limit of ${maxBytes} bytes`);
    this.name = "DiffTooLargeError";
  }
}

export class CollectDiffError extends Error {
  constructor(detail: string) {
    super(`Could not collect the change from the sandbox: ${detail}`);
    this.name = "CollectDiffError";
  }
}

/**
 * Runs in the sandbox. The patch goes to a file first so that its size is known before any of it is sent, and
 * it is printed only after a status line with a random marker: anything the login shell prints before (a setup
 * script may have added noisy lines to ~/.bashrc) is cut off, and the size check catches anything mixed in.
 * Explicit diff options keep repository config (noprefix, external diff, textconv, color) out of the patch.
 */
const SCRIPT = `
set -u
err=$(mktemp) && patch=$(mktemp) || exit 1
trap 'rm -f "$err" "$patch"' EXIT
status() { printf '\\n%s %s\\n' "$TASKBOX_DIFF_MARKER" "$1"; }
if ! git add -A >/dev/null 2>"$err"; then status failed; cat "$err"; exit 1; fi
if ! git diff --cached --binary --no-color --no-ext-diff --no-textconv --no-relative --src-prefix=a/ --dst-prefix=b/ \\
    "$TASKBOX_BASE_SHA" -- >"$patch" 2>"$err"; then status failed; cat "$err"; exit 1; fi
# wc, not stat: gVisor fails statx on some files.
size=$(wc -c < "$patch")
status "ok $size"
if [ "$size" -le "$TASKBOX_MAX_BYTES" ]; then cat "$patch"; fi
`;

/**
 * Stages everything in /workspace (respecting .gitignore) and returns the binary-safe patch from baseSha to
 * the index, which also covers commits the agent made itself. An empty Buffer means no change.
 */
export async function collectDiff(sandbox: Sandbox, options: { baseSha: string; maxBytes: number }): Promise<Buffer> {
  // Also keeps a value starting with "-" from being read as an option.
  if (!COMMIT_ID_PATTERN.test(options.baseSha)) {
    throw new CollectDiffError(`base ${JSON.stringify(options.baseSha)} is not a commit id`);
  }
  const marker = `TASKBOX-DIFF-${randomUUID()}`;
  const result = await sandbox.exec({
    command: SCRIPT,
    env: {
      TASKBOX_DIFF_MARKER: marker,
      TASKBOX_BASE_SHA: options.baseSha,
      TASKBOX_MAX_BYTES: String(options.maxBytes),
    },
    timeoutMs: COLLECT_TIMEOUT_MS,
    maxOutputBytes: options.maxBytes + OUTPUT_SLACK_BYTES,
  });
  if (result.timedOut) throw new CollectDiffError(`git did not finish within ${COLLECT_TIMEOUT_MS / 1000} s`);
  const markerAt = result.output.indexOf(`\n${marker} `);
  if (markerAt === -1) {
    const tail = result.output.subarray(-2000).toString("utf8");
    throw new CollectDiffError(`the diff script exited with code ${result.exitCode} without a result: ${tail}`);
  }
  const lineEnd = result.output.indexOf("\n", markerAt + 1);
  const statusLine = result.output.subarray(markerAt + marker.length + 2, lineEnd).toString("utf8");
  const body = result.output.subarray(lineEnd + 1);
  if (statusLine === "failed") throw new CollectDiffError(body.toString("utf8").trim());
  const size = Number(statusLine.replace(/^ok /, ""));
  if (!statusLine.startsWith("ok ") || !Number.isSafeInteger(size)) {
    throw new CollectDiffError(`unexpected status line ${JSON.stringify(statusLine)}`);
  }
  if (size > options.maxBytes) throw new DiffTooLargeError(size, options.maxBytes);
  if (body.length !== size || result.exitCode !== 0) {
    const detail = `expected a ${size}-byte patch, got ${body.length} bytes (exit code ${result.exitCode})`;
    throw new CollectDiffError(detail);
  }
  return Buffer.from(body);
}
