import type Docker from "dockerode";
import { ignoringStatus } from "./ignoring-status.js";

/**
 * Force-removes containers (with their anonymous volumes), then networks, each named by id or name. Whatever is
 * gone already, or is being removed by someone else, is skipped; a network is emptied first because Docker
 * refuses to remove one with endpoints.
 */
export async function removeSandboxResources(
  docker: Docker,
  resources: { containers?: readonly string[]; networks?: readonly string[] },
): Promise<void> {
  for (const id of resources.containers ?? []) {
    await ignoringStatus(docker.getContainer(id).remove({ force: true, v: true }), [404, 409]);
  }
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
