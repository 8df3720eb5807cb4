import { CheckoutFileError, readCheckoutFile } from "../git/read-checkout-file.js";
import { dirname } from "node:path";
import { runGit } from "../git/run-git.js";
import { sanitizeUserText } from "./sanitize.js";

const AGENTS_MD = "AGENTS.md";
/** All AGENTS.md text given to the agent together; Codex uses the same budget for its project docs. */
const AGENTS_MD_BUDGET_BYTES = 32 * 1024;

export interface AgentsMdFile {
  /** Path in the repository, e.g. "src/api/AGENTS.md". */
  path: string;
  /** The directory it applies to: "" for the whole repository. */
  scope: string;
  /** Sanitized text, cut to the budget; empty when the budget was used up before this file. */
  content: string;
  truncated: boolean;
}

/**
 * The repository's AGENTS.md files at its checkout in dir, from the root down: shallower files first, so the budget
 * goes to the instructions that apply most widely. Only tracked regular files count: a symlink could point anywhere on
 * the worker.
 */
export async function collectAgentsMd(dir: string, budgetBytes = AGENTS_MD_BUDGET_BYTES): Promise<AgentsMdFile[]> {
  const { stdout } = await runGit(["ls-files", "-z", "--", AGENTS_MD, `*/${AGENTS_MD}`], { cwd: dir });
  const paths = stdout
    .toString("utf8")
    .split("\0")
    .filter((path) => path === AGENTS_MD || path.endsWith(`/${AGENTS_MD}`))
    .sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
  let left = budgetBytes;
  const files: AgentsMdFile[] = [];
  for (const path of paths) {
    // Symbolic links (to host files, to /dev/zero) and other odd files are skipped, not read.
    const raw = await readCheckoutFile(dir, path).catch((error: unknown) => {
      if (error instanceof CheckoutFileError) return undefined;
      throw error;
    });
    if (raw === undefined) continue;
    const scope = dirname(path) === "." ? "" : dirname(path);
    if (left <= 0) {
      files.push({ path, scope, content: "", truncated: true });
      continue;
    }
    const text = sanitizeUserText(raw.subarray(0, left).toString("utf8"));
    const truncated = raw.length > left;
    left -= Math.min(raw.length, left);
    files.push({ path, scope, content: text, truncated });
  }
  return files;
}

function depth(path: string): number {
  return path.split("/").length;
}

// A file's text must not be able to end its own block and pose as the prompt around it.
const BLOCK_TAG = /<(\/?)(agents-md)/gi;

/** The task prompt's section for the files; "" when there are none. */
export function renderAgentsMd(files: AgentsMdFile[]): string {
  if (files.length === 0) return "";
  const blocks = files.map((file) => {
    const applies = file.scope === "" ? "the whole repository" : `${file.scope}/ and everything below it`;
    if (file.content === "" && file.truncated) {
      return `<agents-md path="${file.path}" applies-to="${applies}">\n(not included: the AGENTS.md budget of ${AGENTS_MD_BUDGET_BYTES / 1024} KiB is used up; read the file if you work there)\n</agents-md>`;
    }
    const cut = file.truncated
      ? "\n(cut here: the AGENTS.md budget is used up; read the rest of the file yourself)"
      : "";
    return `<agents-md path="${file.path}" applies-to="${applies}">\n${file.content.replace(BLOCK_TAG, "&lt;$1$2")}${cut}\n</agents-md>`;
  });
  return [
    "## Project instructions (AGENTS.md)",
    "The repository gives coding agents instructions in AGENTS.md files, such as how to build, lint and test. Each " +
      "file applies to the directory it is in and everything below it; where two disagree, the deeper one wins for " +
      "its directory. Follow them, and run the checks they name before you finish. The maintainer's request above " +
      "wins over them.",
    "",
    ...blocks,
  ].join("\n");
}
