import { createReadStream } from "node:fs";
import { bundleCheckout } from "../git/bundle.js";
import type { Sandbox } from "../sandbox/types.js";

const EXEC = { timeoutMs: 5 * 60_000, maxOutputBytes: 64 * 1024 } as const;
const COMMIT = /^[0-9a-f]{40,64}$/;

/** What /workspace holds: its HEAD (none before the first task), and whether the task's commit is there already. */
const INSPECT = `
if [ -d .git ]; then git rev-parse -q --verify HEAD || echo none; else echo none; fi
if [ -d .git ] && git cat-file -e "$TASKBOX_SHA^{commit}" 2>/dev/null; then echo present; else echo missing; fi
`;

/**
 * Fetches the bundle on stdin (if any) into /workspace's repository, made if there is none, and checks the task's
 * commit out: tracked files are exactly the commit's. What setup made beside them (ignored output such as
 * node_modules) stays. The repository has no remote, so nothing in the sandbox can reach GitHub with it.
 */
const UPDATE = `
set -eu
[ -d .git ] || git init -q --initial-branch=taskbox
if [ -n "$TASKBOX_SHALLOW" ]; then
  printf '%s\\n' $TASKBOX_SHALLOW >> .git/shallow
  sort -u -o .git/shallow .git/shallow
fi
if [ "$TASKBOX_BUNDLE" = yes ]; then
  bundle=$(mktemp)
  trap 'rm -f "$bundle"' EXIT
  cat > "$bundle"
  git fetch -q --no-tags "$bundle" HEAD
fi
git -c advice.detachedHead=false checkout -q -f --detach "$TASKBOX_SHA"
`;

/**
 * Brings the task's commit into the sandbox's /workspace through an exec: a sandbox from a cached environment already
 * holds the repository at the commit setup ran on, so only the commits since then travel, as a git bundle; a new
 * sandbox gets the checkout's whole history (or its `environment.history` depth).
 */
export async function bringRepository(sandbox: Sandbox, checkout: { dir: string; sha: string }): Promise<void> {
  if (!COMMIT.test(checkout.sha)) throw new Error(`not a commit id: ${JSON.stringify(checkout.sha)}`);
  const inspected = await sandbox.exec({ command: INSPECT, env: { TASKBOX_SHA: checkout.sha }, ...EXEC });
  const [head, presence] = inspected.output.toString("utf8").trim().split("\n").slice(-2);
  const needsBundle = presence !== "present";
  const bundle = needsBundle
    ? await bundleCheckout(checkout.dir, head && COMMIT.test(head) ? head : undefined)
    : undefined;
  try {
    const result = await sandbox.exec({
      command: UPDATE,
      env: {
        TASKBOX_SHA: checkout.sha,
        TASKBOX_BUNDLE: bundle ? "yes" : "no",
        TASKBOX_SHALLOW: bundle?.shallow.join(" ") ?? "",
      },
      input: bundle ? createReadStream(bundle.file) : undefined,
      ...EXEC,
    });
    if (result.exitCode !== 0) {
      throw new Error(
        `could not check the commit out in the sandbox (exit code ${result.exitCode}): ${result.output.toString("utf8").trim()}`,
      );
    }
  } finally {
    await bundle?.remove();
  }
}
