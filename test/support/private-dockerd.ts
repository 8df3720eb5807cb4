import { execFile, spawn, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { waitFor } from "./taskbox-harness.js";

const run = promisify(execFile);

export interface PrivateDockerd {
  /** DOCKER_HOST for this engine. */
  host: string;
  docker: Docker;
  /** Stops the engine the way a restart does (SIGTERM: its containers are stopped) and starts it again. */
  restart(): Promise<void>;
  /** Stops it and removes its data, its bridge and every mount it left. */
  close(): Promise<void>;
}

/**
 * A second Docker engine beside the machine's, for a test that restarts its engine: restarting the shared one would
 * stop every other test's containers. It has its own data and exec roots and socket, and runs in a network namespace
 * of its own (`unshare --net`), so its bridge, addresses and iptables rules never meet the host's: run in the host's
 * namespace, a second dockerd deletes the host's docker0 when it starts with `--bridge=none`, and again when it
 * restarts on its own bridge. Clients reach it through its unix socket, which works across namespaces.
 * Needs root, like the shared engine. A slim copy of the sandbox image is put into it.
 */
export async function startPrivateDockerd(options: { image: string; source?: Docker }): Promise<PrivateDockerd> {
  // Short: unix socket paths (containerd's lives under the exec root) are limited to 107 bytes.
  const dir = await mkdtemp("/tmp/tbxd-");
  const socket = join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const docker = new Docker({ socketPath: socket });
  const dockerd = [
    "dockerd",
    `--data-root=${join(dir, "data")}`,
    `--exec-root=${join(dir, "exec")}`,
    `--pidfile=${join(dir, "docker.pid")}`,
    `--host=${host}`,
    "--log-level=warn",
  ];
  let daemon: ChildProcess | undefined;
  const start = async () => {
    const log = openSync(join(dir, "dockerd.log"), "a");
    // `exec` keeps dockerd the process that gets the signals; a new namespace has loopback down.
    const child = spawn("unshare", ["--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", ...dockerd], {
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    daemon = child;
    await waitFor(
      "the private dockerd",
      async () => {
        if (child.exitCode !== null)
          throw new Error(
            `dockerd exited with code ${child.exitCode}: ${await readFile(join(dir, "dockerd.log"), "utf8")}`,
          );
        return (await docker.ping().catch(() => undefined)) ? true : undefined;
      },
      60_000,
    );
  };
  const stop = async () => {
    const child = daemon;
    daemon = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
  const close = async () => {
    await stop();
    // dockerd unmounts what it mounted; anything left (after a crash) must go before the directory can.
    const mounts = (await readFile("/proc/mounts", "utf8"))
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter((mountPoint) => mountPoint.startsWith(dir))
      .sort((a, b) => b.length - a.length);
    for (const mountPoint of mounts) await run("umount", ["-l", mountPoint]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await start();
    await copySlimImage(options.source ?? new Docker(), docker, options.image);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    host,
    docker,
    async restart() {
      await stop();
      await start();
    },
    close,
  };
}

/** What a task needs no part of in these tests: language runtimes, compilers, documentation. Most of the size. */
const NOT_NEEDED = [
  "/opt/*",
  "/usr/lib/gcc",
  "/usr/libexec/gcc",
  "/usr/include",
  "/usr/lib/python3*",
  "/usr/share/nodejs",
  "/usr/share/doc",
  "/usr/share/man",
  "/usr/share/locale",
  "/usr/share/info",
  "/var/cache/*",
  "/var/lib/apt/lists/*",
  ...["libnode.so*", "libicudata.so*", "*.a", "libasan.so*", "libtsan.so*", "liblsan.so*", "libubsan.so*"].map(
    (name) => `/usr/lib/x86_64-linux-gnu/${name}`,
  ),
];

/**
 * Copies an image into another engine flattened and without NOT_NEEDED (saving the whole image and loading it takes
 * half a minute), under the same name and with the same user, directory, command, environment and labels.
 */
async function copySlimImage(source: Docker, target: Docker, image: string): Promise<void> {
  const { Config: config } = await source.getImage(image).inspect();
  const container = await source.createContainer({
    Image: image,
    User: "root",
    Entrypoint: ["sh", "-c"],
    Cmd: [`rm -rf ${NOT_NEEDED.join(" ")}`],
    Labels: { "taskbox.test": "true" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    await container.wait();
    const changes = [
      `USER ${config.User || "root"}`,
      `WORKDIR ${config.WorkingDir || "/"}`,
      `CMD ${JSON.stringify(config.Cmd ?? ["sh"])}`,
      ...(config.Env ?? []).map(
        (entry) => `ENV ${entry.slice(0, entry.indexOf("="))}=${JSON.stringify(entry.slice(entry.indexOf("=") + 1))}`,
      ),
      ...Object.entries(config.Labels ?? {}).map(
        ([name, value]) => `LABEL ${JSON.stringify(name)}=${JSON.stringify(value)}`,
      ),
    ];
    const colon = image.lastIndexOf(":");
    const [repo, tag] =
      colon > image.lastIndexOf("/") ? [image.slice(0, colon), image.slice(colon + 1)] : [image, "latest"];
    const importing = await target.importImage(await container.export(), { repo, tag, changes });
    await new Promise<void>((resolve, reject) =>
      target.modem.followProgress(importing, (error) => (error ? reject(error) : resolve())),
    );
    await target.getImage(image).inspect();
  } finally {
    await container.remove({ force: true });
  }
}
