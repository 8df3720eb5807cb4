import type { EgressDecision } from "../sandbox/egress-proxy.js";
import { compileEgressPolicy } from "../config/network-policy.js";
import type { NetworkAccess } from "../sandbox/types.js";
import { DeniedRequests } from "./denied-requests.js";
import type { TaskScope } from "./task-scope.js";

/** Whether a sandbox whose setup or maintenance script wants the network gets it: `internet.setup: off` says no. */
export function setupHasInternet(scope: TaskScope, wanted: boolean): boolean {
  return wanted && scope.job.config.internet.setup === "on";
}

/**
 * The agent phase's network (`internet.agent`). For `limited` this starts the task's egress proxy, which is removed
 * when the task ends; every request it denies is logged and listed in a note of the status comment.
 */
export async function startAgentNetwork(scope: TaskScope): Promise<NetworkAccess> {
  const { internet } = scope.job.config;
  if (internet.agent === "off") return { mode: "off" };
  if (internet.agent === "unrestricted") return { mode: "open" };
  const starting = scope.deps.egressProxies.start({
    taskId: scope.job.taskId,
    policy: compileEgressPolicy(internet),
    onDenied: deniedRequestsNote(scope),
  });
  // Registered before the start settles, so however the task ends, a proxy that did start is removed.
  scope.defer(async () => {
    const proxy = await starting.catch(() => undefined);
    await proxy?.stop();
  });
  const proxy = await starting;
  return { mode: "limited", networkName: proxy.networkName, proxyUrl: proxy.proxyUrl };
}

/** Keeps one note in the task's status that lists what the proxy denied and why, so a maintainer knows what to allow. */
function deniedRequestsNote(scope: TaskScope): (decision: EgressDecision) => void {
  const denied = new DeniedRequests();
  let shown: string[] = [];
  return (decision) => {
    if (!denied.add(decision)) return;
    const others = (scope.status.notes ?? []).filter((existing) => !shown.includes(existing));
    shown = denied.notes();
    scope.status.notes = [...others, ...shown];
    scope.updater.update(scope.status);
  };
}
