import type Docker from "dockerode";
import { ignoringStatus } from "./ignoring-status.js";

/**
 * Force-removes containers (with their anonymous volumes), then networks, each named by id or name. Whatever is
 * gone already is skipped, one being removed by someone else is waited for; a network is emptied first because Docker
 * refuses to remove one with endpoints.
 */
export async function removeSandboxResources(
  docker: Docker,
  resources: { containers?: readonly string[]; networks?: readonly string[] },
): Promise<void> {
  for (const id of resources.containers ?? []) await removeContainer(docker.getContainer(id));
  for (const id of resources.networks ?? []) {
    const network = docker.getNetwork(id);
    const info: Docker.NetworkInspectInfo | undefined = await ignoringStatus(network.inspect(), [404]);
    if (!info) continue;
    for (const containerId of Object.keys(info.Containers ?? {})) {
      await ignoringStatus(network.disconnect({ Container: containerId, Force: true }), [404]);
    }
    await ignoringStatus(network.remove(), [404]);
  }
}

/**
 * Force-removes a container with its anonymous volumes and returns once it is gone. A 409 means another call (the
 * abort listener of the same task, say) is removing it: that one is waited for, so a task never reports while its
 * container still exists.
 */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await ignoringStatus(container.remove({ force: true, v: true }), [404]);
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode !== 409) throw error;
    await ignoringStatus(container.wait({ condition: "removed" }), [404]);
  }
}
