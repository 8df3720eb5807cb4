import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";

/**
 * A repository of `files` files and `commits` commits on `branch`, made in one `git fast-import` stream (seconds even
 * for tens of thousands): the first commit adds every file, each later one rewrites one of them. Bare when asked,
 * as the fake GitHub serves repositories.
 */
export async function generateRepo(
  dir: string,
  options: { files: number; commits: number; branch?: string; bare?: boolean },
): Promise<void> {
  const branch = options.branch ?? "main";
  await mkdir(dir, { recursive: true });
  await git(dir, ["init", "--quiet", ...(options.bare ? ["--bare"] : []), `--initial-branch=${branch}`]);
  await appendHistory(dir, { ...options, branch });
  if (!options.bare) await git(dir, ["checkout", "--quiet", "--force", branch]);
}

/** The same history on top of an existing branch (its files stay), as one `git fast-import` stream. */
export function appendHistory(
  dir: string,
  options: { files: number; commits: number; branch: string; from?: string },
): Promise<void> {
  return git(dir, ["fast-import", "--quiet"], fastImportStream(options));
}

function* fastImportStream(options: { files: number; commits: number; branch: string; from?: string }) {
  const { files, commits, branch } = options;
  const pathOf = (index: number) => `src/dir${Math.floor(index / 100)}/file${index}.txt`;
  const commit = (index: number, body: string) => {
    const data = `commit ${index}\n`;
    const when = 1_700_000_000 + index * 60;
    return (
      `commit refs/heads/${branch}\ncommitter Generator <generator@example.com> ${when} +0000\n` +
      `data ${Buffer.byteLength(data)}\n${data}${body}`
    );
  };
  const inline = (path: string, content: string) =>
    `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
  let first = "";
  for (let index = 0; index < files; index++) first += inline(pathOf(index), `file ${index}\nline two\n`);
  yield commit(0, `${options.from ? `from ${options.from}\n` : ""}${first}`);
  for (let index = 1; index < commits; index++) {
    const file = index % files;
    yield commit(index, inline(pathOf(file), `file ${file}\nrevision ${index}\n`));
  }
  yield "done\n";
}

function git(cwd: string, args: string[], input?: Iterable<string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd, stdio: ["pipe", "ignore", "pipe"], env: cleanEnv() });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited ${code}: ${stderr.trim()}`)),
    );
    if (input) for (const chunk of input) child.stdin.write(chunk);
    child.stdin.end();
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GIT_")));
  return { ...env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
}
