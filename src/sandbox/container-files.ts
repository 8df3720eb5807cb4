import { Readable } from "node:stream";
import type Docker from "dockerode";
import { pack } from "tar-fs";
import { extract } from "tar-stream";
import { streamExec } from "./stream-exec.js";

/** uid/gid of the `taskbox` user in the sandbox image. */
const SANDBOX_UID = 1000;
const WORKSPACE = "/workspace";
/** Kind of a deleted path in Docker's container changes. */
const DELETED = 2;

/** Puts hostDir's contents into /workspace, owned by the sandbox user (the archive says so). */
export async function copyIntoWorkspace(container: Docker.Container, hostDir: string): Promise<void> {
  const archive = pack(hostDir, { map: (header) => ({ ...header, uid: SANDBOX_UID, gid: SANDBOX_UID }) });
  // As the sandbox user, not root: whatever setup left in /workspace (a symlink to /etc, say) gives it no more reach.
  await streamExec(container, {
    argv: ["/bin/tar", "-x", "--no-same-owner", "-f", "-", "-C", WORKSPACE],
    user: "taskbox",
    // tar-fs streams are streamx streams, which Node's types do not know; they pipe like Node's own.
    input: archive as unknown as Readable,
  });
}

/** Paths added or changed in the container's root filesystem since its image. */
export async function changedPaths(container: Docker.Container): Promise<string[]> {
  const changes = ((await container.changes()) ?? []) as Array<{ Path: string; Kind: number }>;
  return changes.filter((change) => change.Kind !== DELETED).map((change) => change.Path);
}

/** See Sandbox.readFiles. */
export async function readFiles(
  container: Docker.Container,
  paths: string[],
  onFile: (path: string, content: AsyncIterable<Buffer>) => Promise<void>,
): Promise<{ unreadable: string[] }> {
  const archive = extract();
  const read = (async () => {
    for await (const entry of archive) {
      if (entry.header.type === "file") await onFile(`/${entry.header.name}`, entry as AsyncIterable<Buffer>);
      else entry.resume();
    }
  })();
  const { stderr } = await streamExec(container, {
    // One path per NUL-terminated line on stdin; a file that vanished meanwhile is skipped, not an error.
    argv: ["/bin/tar", "-c", "-f", "-", "-C", "/", "--no-recursion", "--ignore-failed-read", "--null", "-T", "-"],
    // Root in the sandbox has no capabilities, so it cannot read the user's private files: the user reads them.
    user: "taskbox",
    input: Readable.from([Buffer.from(paths.map((path) => `${path.replace(/^\/+/, "")}\0`).join(""))]),
    output: archive,
  });
  await read;
  const unreadable = [
    ...stderr.matchAll(/^\/bin\/tar: (.+?): (?:Warning: )?Cannot (?:open|read): Permission denied$/gm),
  ];
  return { unreadable: unreadable.map((match) => `/${match[1]!}`) };
}
